-- Partners (lead sellers) and their API keys, for the suppression API.

CREATE TABLE partners (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    contact_email TEXT NOT NULL DEFAULT '',
    -- what one accepted lead is billed, in cents of the brand's currency
    price_cents   INTEGER NOT NULL CHECK (price_cents >= 0),
    -- checks per day before 429; 0 means no quota
    daily_quota   INTEGER NOT NULL DEFAULT 0 CHECK (daily_quota >= 0),
    created_at    INTEGER NOT NULL,
    CONSTRAINT partners_name_key UNIQUE (name)
);

-- Keys are shown once and stored only as the SHA-256 of the whole key (high-entropy
-- secrets need no slow hash); `prefix` is the first characters, to tell keys apart.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    partner_id   INTEGER NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    key_hash     TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    scopes       TEXT NOT NULL,           -- comma-separated: check,submit,export,events
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    revoked_at   INTEGER,
    last_used_at INTEGER,
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash)
);
CREATE INDEX api_keys_partner ON api_keys (partner_id);

-- Per partner and day (UTC, 'YYYY-MM-DD'): what the partner asked and what it cost.
CREATE TABLE partner_usage (
    partner_id  INTEGER NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    day         TEXT NOT NULL,
    checks      INTEGER NOT NULL DEFAULT 0,
    hits        INTEGER NOT NULL DEFAULT 0,
    accepted    INTEGER NOT NULL DEFAULT 0,
    duplicates  INTEGER NOT NULL DEFAULT 0,
    invalid     INTEGER NOT NULL DEFAULT 0,
    billed_cents INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (partner_id, day)
);

-- One row per accepted lead: what the partner is paid for. Written in the same
-- transaction as the contact, so a lead is billed exactly when it is recorded; the
-- unique email makes a second submission of the same address fail before billing.
CREATE TABLE partner_leads (
    id          INTEGER PRIMARY KEY,
    partner_id  INTEGER NOT NULL REFERENCES partners (id),
    contact_id  INTEGER REFERENCES contacts (id) ON DELETE SET NULL,  -- kept for billing after an erasure
    price_cents INTEGER NOT NULL,
    day         TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX partner_leads_partner_day ON partner_leads (partner_id, day);

-- Answers to requests sent with an Idempotency-Key, replayed on retry.
CREATE TABLE idempotent_responses (
    partner_id  INTEGER NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    status      INTEGER NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (partner_id, key)
);

-- Key use: requests per key and day (written each second from memory, like usage).
CREATE TABLE api_key_usage (
    key_id   INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    day      TEXT NOT NULL,
    requests INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, day)
);

-- Who did what to partners and their keys, and when: the management audit trail.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,      -- a staff email, or "cli"
    action     TEXT NOT NULL,      -- partner.add, key.create, key.revoke
    partner_id INTEGER,
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
