-- The brand's own systems (its shop, its site) hold keys like partners do, as
-- integrations: never billed, no quota, and alone allowed the `profile` and `contacts`
-- scopes (personal links and contact upserts are not for lead sellers).
ALTER TABLE partners ADD COLUMN own BOOLEAN NOT NULL DEFAULT FALSE;
