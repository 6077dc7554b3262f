-- Newsletters as staff manage them: the channel each is sent on, its place on forms,
-- and when it was archived (an archived newsletter takes no new subscriptions and
-- keeps its subscribers' history and evidence).
ALTER TABLE newsletters ADD COLUMN channel TEXT NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'sms'));
ALTER TABLE newsletters ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
ALTER TABLE newsletters ADD COLUMN archived_at INTEGER;
