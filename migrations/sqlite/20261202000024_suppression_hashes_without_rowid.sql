-- The suppression list is looked up and written by its hash only: as a WITHOUT ROWID
-- table it is one B-tree keyed by the hash instead of a table and an index beside it,
-- half the pages to write for each entry imported and one probe fewer for each check.
CREATE TABLE suppression_hashes_new (
    hash       TEXT PRIMARY KEY,
    reason     TEXT NOT NULL DEFAULT '',
    import_id  INTEGER,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO suppression_hashes_new (hash, reason, import_id, created_at)
    SELECT hash, reason, import_id, created_at FROM suppression_hashes;
DROP TABLE suppression_hashes;
ALTER TABLE suppression_hashes_new RENAME TO suppression_hashes;
