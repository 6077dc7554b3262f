-- Mail Carnet sends itself (personal links, confirmations, incentives). Every message is
-- written here first and sent by whichever instance leases it, so nothing is lost while
-- the SMTP server is down: failures are retried with growing delays and shown to staff.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    contact_id      INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    kind            TEXT NOT NULL,              -- what it is: 'profile_link', 'confirmation', …
    to_address      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    -- The one-click unsubscribe URL (RFC 8058), when the mail goes to a contact.
    unsubscribe_url TEXT,
    state           TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_created ON outbox (created_at);
