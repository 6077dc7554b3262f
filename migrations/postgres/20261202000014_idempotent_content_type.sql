-- A replayed answer carries the content type of the first one (a batch of events
-- refused whole is a JSON report, not a problem document).
ALTER TABLE idempotent_responses ADD COLUMN content_type TEXT NOT NULL DEFAULT '';
