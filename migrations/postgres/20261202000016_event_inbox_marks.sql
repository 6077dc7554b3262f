-- How far work that queues events (an import) got, written in the same transaction as
-- its events: killed after they are accepted, it resumes after them. (SQLite keeps this
-- table in the inbox's own file, created when it is opened.)
CREATE TABLE event_inbox_marks (
    mark    TEXT PRIMARY KEY,
    through BIGINT NOT NULL
);
