-- Incentives: thank people for bringing their profile up to date. A programme has a
-- reward (text shown and mailed), a trigger (the profile's completion reaching a
-- threshold, and/or given fields filled), a validity, and codes either generated on
-- award or taken from a pool staff uploaded. A contact earns each programme at most
-- once: the unique (incentive, contact) pair makes a second award impossible, however
-- many saves race.
CREATE TABLE incentives (
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT NOT NULL,
    reward       TEXT NOT NULL,
    threshold    BIGINT NOT NULL CHECK (threshold BETWEEN 0 AND 100),
    fields       TEXT NOT NULL DEFAULT '[]',   -- JSON list of profile field keys that must be filled
    valid_from   BIGINT NOT NULL,
    valid_until  BIGINT,
    code_source  TEXT NOT NULL CHECK (code_source IN ('generated', 'pool')),
    code_prefix  TEXT NOT NULL DEFAULT '',
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    created_at   BIGINT NOT NULL
);

CREATE TABLE incentive_codes (
    id           BIGSERIAL PRIMARY KEY,
    incentive_id BIGINT NOT NULL REFERENCES incentives (id) ON DELETE CASCADE,
    code         TEXT NOT NULL,
    contact_id   BIGINT REFERENCES contacts (id) ON DELETE SET NULL,
    issued_at    BIGINT,
    redeemed_at  BIGINT,
    UNIQUE (incentive_id, code),
    UNIQUE (incentive_id, contact_id)
);
CREATE INDEX incentive_codes_contact ON incentive_codes (contact_id);
CREATE INDEX incentive_codes_code ON incentive_codes (code);
