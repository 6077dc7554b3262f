-- Events are accepted into this append-only inbox (sequential writes, answered as soon
-- as they are committed) and folded into the timeline and the engagement rows in large
-- batches sorted by contact, by one instance at a time (an advisory lock). A fold
-- deletes the rows it applies in its own transaction, so each event is applied once.
CREATE TABLE event_inbox (
    id          BIGSERIAL PRIMARY KEY,
    contact_id  BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    interaction BOOLEAN NOT NULL,
    occurred_at BIGINT NOT NULL,
    detail      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    campaign    TEXT NOT NULL,
    meta        TEXT NOT NULL
);

-- Only suppressed contacts in the suppression index: the many updates of the other
-- rows skip it (PostgreSQL writes every index of a row it moves to a new version).
DROP INDEX engagement_suppressed;
CREATE INDEX engagement_suppressed ON engagement (suppression_reason, suppressed_at)
    WHERE suppression_reason IS NOT NULL;
