-- The event kinds an `events` key may send, chosen when it is made (comma-separated
-- names, empty for keys without the scope). Keys issued before could send any kind:
-- they keep that, and the partners page shows it; a narrower key replaces them.
ALTER TABLE api_keys ADD COLUMN event_kinds TEXT NOT NULL DEFAULT '';
UPDATE api_keys SET event_kinds = 'open,click,purchase,visit,reply,form_submission,profile_update,soft_bounce,hard_bounce,complaint,unsubscribe'
WHERE (',' || scopes || ',') LIKE '%,events,%';
