-- Who holds a running job's lease: each claim writes a new token, and progress and the
-- end are written only under it. An instance that stalled past its lease, while
-- another took the job over, finds its token gone and stops, writing nothing.
ALTER TABLE jobs ADD COLUMN lease_token TEXT NOT NULL DEFAULT '';
