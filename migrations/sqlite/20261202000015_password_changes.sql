-- When each staff password was last set (sessions begun before it end), and whether
-- it must be changed at the next sign-in (set by an admin: a new account, a reset).
ALTER TABLE users ADD COLUMN password_changed_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
