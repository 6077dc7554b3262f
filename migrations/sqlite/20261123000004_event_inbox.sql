-- Events are accepted into an append-only inbox and folded into the timeline and the
-- engagement rows in large batches (see events_bulk.rs). On SQLite the inbox is its
-- own database file beside this one (`<file>.inbox`, created by the application), so
-- that accepting events never waits for a fold holding this file's write lock.
--
-- This row says how far the inbox has been folded. It is written in the same
-- transaction as the fold itself, so an event is applied exactly once even if the
-- process dies between the fold and the inbox's cleanup.
CREATE TABLE event_folds (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    folded_through INTEGER NOT NULL
);
INSERT INTO event_folds (id, folded_through) VALUES (1, 0);

-- Only suppressed contacts in the suppression index: the many updates of the other
-- rows skip it (PostgreSQL writes every index of a row it moves to a new version).
DROP INDEX engagement_suppressed;
CREATE INDEX engagement_suppressed ON engagement (suppression_reason, suppressed_at)
    WHERE suppression_reason IS NOT NULL;
