-- The codes a programme gave, newest first, a page at a time (/incentives/<id>).
CREATE INDEX incentive_codes_programme ON incentive_codes (incentive_id, id);
