-- Personal links: a contact opens their own profile without a password. The token
-- (256 random bits) is sent once and only its SHA-256 is kept; it is bound to one
-- contact and one purpose, expires after days (people open mail late), and works once.
CREATE TABLE contact_links (
    id          INTEGER PRIMARY KEY,
    contact_id  INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX contact_links_contact ON contact_links (contact_id);
