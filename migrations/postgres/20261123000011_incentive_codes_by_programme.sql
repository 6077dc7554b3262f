-- The codes a programme gave, newest first, a page at a time (/incentives/<id>):
-- partial, so a large pool's codes not yet given are not walked past.
CREATE INDEX incentive_codes_given ON incentive_codes (incentive_id, id) WHERE issued_at IS NOT NULL;
