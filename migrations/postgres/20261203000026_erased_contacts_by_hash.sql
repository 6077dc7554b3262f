-- The erased, by their address's hash: an erased contact keeps only its hashes, and an
-- import or the shop, which look addresses up by the address itself, find by this that
-- the person was erased (and never create them again). A handful of rows: it stays
-- while a big load drops the address hashes' full indexes.
CREATE INDEX contacts_erased_sha256 ON contacts (email_sha256) WHERE erased_at IS NOT NULL;
