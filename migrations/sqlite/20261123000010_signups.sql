-- Public sign-ups awaiting their double opt-in. Nothing enters the contact base until
-- the person confirms from the mail: a junk address that slips past the bot checks
-- leaves only this row, deleted when its link expires. The token (256 random bits) is
-- mailed once and only its SHA-256 is kept.
CREATE TABLE signups (
    id            INTEGER PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    email         TEXT NOT NULL,
    first_name    TEXT NOT NULL DEFAULT '',
    channel       TEXT NOT NULL,
    source_detail TEXT NOT NULL DEFAULT '',
    lang          TEXT NOT NULL,
    -- JSON [[newsletter id, the words the person ticked], …]
    offers        TEXT NOT NULL,
    form          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    confirmed_at  INTEGER,
    contact_id    INTEGER REFERENCES contacts (id) ON DELETE SET NULL
);
CREATE INDEX signups_expires ON signups (expires_at);

-- The copy of a contact's channel and source into its engagement row ran on every
-- edit (a staff edit writes every column); now only when they change.
DROP TRIGGER contacts_engagement_source;
CREATE TRIGGER contacts_engagement_source AFTER UPDATE OF channel, source_detail ON contacts
WHEN OLD.channel IS NOT NEW.channel OR OLD.source_detail IS NOT NEW.source_detail
BEGIN
    UPDATE engagement SET channel = NEW.channel, source = NEW.source_detail WHERE contact_id = NEW.id;
END;
