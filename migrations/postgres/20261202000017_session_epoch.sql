-- Counts the times a staff member's password was set: a session remembers the count it
-- began under, and ends when the count moves on (a change, a reset), whatever the
-- second either happened in.
ALTER TABLE users ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
