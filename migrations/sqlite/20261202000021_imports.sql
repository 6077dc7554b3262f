-- Imports of the contacts a brand already has, and of the suppression list its old tool
-- kept. The uploaded file is kept in the database, in pieces of 1 MiB, so that whichever
-- instance runs the import can read it, a restart finds it again, and no shared disk is
-- needed; the pieces are deleted once the import has run.
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('contacts', 'suppression')),
    file_name   TEXT NOT NULL,
    size_bytes  INTEGER NOT NULL DEFAULT 0,
    -- What the upload looked like: 'utf-8' or 'windows-1252' (the whole file checked),
    -- the separator guessed from the header line, the header's columns (JSON array).
    encoding    TEXT NOT NULL,
    separator   TEXT NOT NULL,
    headers     TEXT NOT NULL DEFAULT '[]',
    -- The choices made on the mapping page (JSON), fixed when a run starts.
    settings    TEXT NOT NULL DEFAULT '',
    -- uploaded (waiting for its mapping), checking / checked (a dry run), running,
    -- done, failed.
    state       TEXT NOT NULL,
    job_id      INTEGER,
    dry_run     BOOLEAN NOT NULL DEFAULT FALSE,
    -- The run's progress, written in the same transaction as each batch of rows: the
    -- byte offset and line where the next record starts, and the counts so far (JSON).
    -- A run killed at any moment resumes from here and ends as an uninterrupted one.
    resume_at   INTEGER NOT NULL DEFAULT 0,
    resume_line INTEGER NOT NULL DEFAULT 0,
    counts      TEXT NOT NULL DEFAULT '{}',
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE import_chunks (
    import_id INTEGER NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    bytes     BLOB NOT NULL,
    PRIMARY KEY (import_id, seq)
);

-- The rows an import refused, with the reason and the row as it was in the file (one
-- CSV record, in UTF-8), for the download staff fix and import again.
CREATE TABLE import_refusals (
    import_id INTEGER NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    line      INTEGER NOT NULL,
    reason    TEXT NOT NULL,
    record    TEXT NOT NULL,
    PRIMARY KEY (import_id, line)
);

-- Mappings saved by name, to import the next file of the same shape in one step.
CREATE TABLE import_mappings (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    settings   TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT import_mappings_name_key UNIQUE (name)
);

-- The old suppression list: the MD5 or SHA-256 of addresses never to be bought, created
-- or mailed again, holding no personal data (an address given in clear is kept only as
-- its two hashes). The two kinds cannot collide: 32 and 64 hexadecimal characters.
CREATE TABLE suppression_hashes (
    hash       TEXT PRIMARY KEY,
    reason     TEXT NOT NULL DEFAULT '',
    import_id  INTEGER,
    created_at INTEGER NOT NULL
);
