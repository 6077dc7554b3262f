-- Preferences a person sets on their own page: a newsletter paused for a while (still
-- subscribed, not sent until then), and whether they would rather hear from the brand
-- by email or by SMS.
ALTER TABLE subscriptions ADD COLUMN paused_until BIGINT;
ALTER TABLE contacts ADD COLUMN preferred_channel TEXT NOT NULL DEFAULT 'email' CHECK (preferred_channel IN ('email', 'sms'));
