-- An Idempotency-Key names one request to one endpoint: the request it was first used
-- for ("POST /api/v1/leads"), so reusing it elsewhere is refused rather than answered
-- with another endpoint's answer. A row with status 0 is a claim: its request is still
-- running, and a concurrent retry waits instead of running it twice.
ALTER TABLE idempotent_responses ADD COLUMN request TEXT NOT NULL DEFAULT '';
