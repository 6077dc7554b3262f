-- Carnet's foundation schema (SQLite dialect; migrations/postgres holds the same schema).
--
-- Conventions shared by both backends, so that most query texts serve both:
--   * instants are INTEGER unix seconds (UTC): cheap to compare, index and bucket by
--     month, and identical in both dialects;
--   * calendar dates (birth date, last purchase) are ISO-8601 TEXT 'YYYY-MM-DD', which
--     sorts and compares correctly as text;
--   * booleans are 0/1 here and BOOLEAN in PostgreSQL (sqlx decodes both as bool).

-- Staff accounts. Passwords are argon2id PHC strings; emails are stored normalised.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'marketer', 'viewer')),
    password_hash TEXT NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER,
    CONSTRAINT users_email_key UNIQUE (email)
);

-- tower-sessions records. `data` is the session's JSON; expired rows are purged by a
-- background task, and a load never returns a row past its expiry.
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Failed sign-ins per subject ('account:<sha256 of email>' or 'address:<ip>') in a
-- fixed window. Kept in the database so every app instance behind a load balancer
-- sees the same counts.
CREATE TABLE login_failures (
    subject        TEXT PRIMARY KEY,
    failures       INTEGER NOT NULL,
    window_started INTEGER NOT NULL
);

-- The contact: one row per person, keyed by the normalised email (trimmed, lowercase).
-- email_md5 / email_sha256 are the hashes partners check against (suppression): they
-- are indexed so that a check is one index probe.
CREATE TABLE contacts (
    id               INTEGER PRIMARY KEY,
    email            TEXT NOT NULL,
    email_md5        TEXT NOT NULL,
    email_sha256     TEXT NOT NULL,
    first_name       TEXT NOT NULL DEFAULT '',
    last_name        TEXT NOT NULL DEFAULT '',
    phone            TEXT NOT NULL DEFAULT '',
    birth_date       TEXT,
    job_title        TEXT NOT NULL DEFAULT '',
    company          TEXT NOT NULL DEFAULT '',
    address_line1    TEXT NOT NULL DEFAULT '',
    address_line2    TEXT NOT NULL DEFAULT '',
    postal_code      TEXT NOT NULL DEFAULT '',
    city             TEXT NOT NULL DEFAULT '',
    country          TEXT NOT NULL DEFAULT '',
    -- targeting data
    interests        TEXT NOT NULL DEFAULT '',   -- comma-separated, lowercase tags
    last_purchase_on TEXT,
    total_spent_cents INTEGER NOT NULL DEFAULT 0,
    purchase_count   INTEGER NOT NULL DEFAULT 0,
    custom           TEXT NOT NULL DEFAULT '{}', -- free attributes, a JSON object of strings
    -- where the contact came from
    channel          TEXT NOT NULL CHECK (channel IN ('web', 'point_of_sale', 'call_centre', 'order_form', 'event', 'partner', 'import')),
    source_detail    TEXT NOT NULL DEFAULT '',
    -- sort_name and search are derived (lowercase) columns written by the application:
    -- sort_name orders the list by name through an index; search is what `?q=` matches.
    sort_name        TEXT NOT NULL DEFAULT '',
    search           TEXT NOT NULL DEFAULT '',
    last_interaction_at INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    CONSTRAINT contacts_email_key UNIQUE (email)
);
CREATE INDEX contacts_email_md5 ON contacts (email_md5);
CREATE INDEX contacts_email_sha256 ON contacts (email_sha256);
-- Keyset pagination: every sort is (key, id) so a page is an index range scan.
CREATE INDEX contacts_created ON contacts (created_at, id);
CREATE INDEX contacts_updated ON contacts (updated_at, id);
CREATE INDEX contacts_sort_name ON contacts (sort_name, id);
CREATE INDEX contacts_channel_created ON contacts (channel, created_at, id);
-- Free-text search scans this narrow index (tens of bytes a contact) instead of the
-- table (about a kilobyte a contact), and reads table rows only for matches.
CREATE INDEX contacts_search ON contacts (search);

-- Newsletters a contact can subscribe to.
CREATE TABLE newsletters (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    CONSTRAINT newsletters_name_key UNIQUE (name)
);

-- Per-newsletter subscription state with the consent evidence the controller must be
-- able to show (GDPR art. 7): when, through which channel and form version, and the
-- exact words the person agreed to.
CREATE TABLE subscriptions (
    contact_id      INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    newsletter_id   INTEGER NOT NULL REFERENCES newsletters (id) ON DELETE CASCADE,
    state           TEXT NOT NULL CHECK (state IN ('subscribed', 'unsubscribed', 'pending')),
    consent_at      INTEGER NOT NULL,
    consent_channel TEXT NOT NULL,
    consent_form    TEXT NOT NULL,
    consent_text    TEXT NOT NULL,
    PRIMARY KEY (contact_id, newsletter_id)
);
CREATE INDEX subscriptions_newsletter_state ON subscriptions (newsletter_id, state, contact_id);

-- The contact's timeline: interactions (open, click, purchase, …) and what staff did.
-- `interaction` marks the rows that count for engagement (being created does not).
CREATE TABLE activities (
    id          INTEGER PRIMARY KEY,
    contact_id  INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    interaction BOOLEAN NOT NULL,
    occurred_at INTEGER NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    actor       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX activities_contact ON activities (contact_id, occurred_at);
