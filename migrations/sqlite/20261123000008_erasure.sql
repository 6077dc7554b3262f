-- "Delete me": a person's data is erased at their request, and only what keeps them from
-- being recruited or bought again stays: the email's hashes (already here) and the
-- phone's SHA-256 (digits only, with a leading + if there was one).
ALTER TABLE contacts ADD COLUMN phone_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN erased_at INTEGER;
