-- Engagement: interactions in, statuses out, list cleaning (SQLite dialect).
--
-- A contact's status is never stored: it is a range of one indexed instant (the last
-- interaction, with or without opens as the settings say), compared with "now" when
-- asked. So it cannot go stale as time passes, and an event moves it by moving that
-- instant. `last_interaction_at` (foundation) counts every interaction, opens included.
ALTER TABLE contacts ADD COLUMN last_signal_at INTEGER;   -- the last interaction that is not an open
ALTER TABLE contacts ADD COLUMN last_open_at INTEGER;
ALTER TABLE contacts ADD COLUMN last_click_at INTEGER;
-- Hard bounces and complaints suppress the address (unsubscribed everywhere, kept so
-- that it is never re-bought); staff can suppress too ('manual').
ALTER TABLE contacts ADD COLUMN suppressed_at INTEGER;
ALTER TABLE contacts ADD COLUMN suppression_reason TEXT;
-- 'inactive': kept, but out of the main sending lists, worked from a separate account.
ALTER TABLE contacts ADD COLUMN pool TEXT NOT NULL DEFAULT 'main';

CREATE INDEX contacts_activity ON contacts (last_interaction_at, created_at);
CREATE INDEX contacts_signal ON contacts (last_signal_at, created_at);
CREATE INDEX contacts_suppressed ON contacts (suppression_reason, suppressed_at);

-- Events sent by an email service or a partner land on the timeline; these say which
-- campaign they belong to and carry the sender's extra data (a JSON object).
ALTER TABLE activities ADD COLUMN campaign TEXT NOT NULL DEFAULT '';
ALTER TABLE activities ADD COLUMN meta TEXT NOT NULL DEFAULT '';

-- Settings shared by every app instance (engagement thresholds, the tracking secret).
CREATE TABLE settings (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- What the dashboards read: one JSON document per name, recomputed in the background
-- (and on demand), so a page view never scans the base.
CREATE TABLE snapshots (
    name     TEXT PRIMARY KEY,
    taken_at INTEGER NOT NULL,
    body     TEXT NOT NULL
);

-- Contacts per status at the end of each month ('YYYY-MM'); the current month is
-- rewritten by every refresh, past months stay as they were.
CREATE TABLE engagement_months (
    month      TEXT PRIMARY KEY,
    recent     INTEGER NOT NULL,
    engaged    INTEGER NOT NULL,
    disengaged INTEGER NOT NULL,
    inactive   INTEGER NOT NULL,
    new        INTEGER NOT NULL,
    taken_at   INTEGER NOT NULL
);

-- Long work (bulk actions, imports), run in chunks by whichever instance holds the
-- lease, with its progress visible to staff.
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,              -- pool, suppress, import_events
    state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    params      TEXT NOT NULL,              -- JSON: the list it applies to, and so on
    payload     TEXT NOT NULL DEFAULT '',   -- e.g. the uploaded CSV
    total       INTEGER NOT NULL DEFAULT 0,
    done        INTEGER NOT NULL DEFAULT 0,
    next_id     INTEGER NOT NULL DEFAULT 0, -- where the next chunk starts
    message     TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    lease_until INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_state ON jobs (state, lease_until);
