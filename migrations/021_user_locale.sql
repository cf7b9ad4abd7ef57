-- The language a person reads Gatehouse's mails in: the page language they registered in, then the
-- one of their latest sign-in. NULL for accounts made before this, or by an admin or the CLI:
-- their mails stay in English until they next sign in.
ALTER TABLE users ADD COLUMN locale text CHECK (locale ~ '^[a-z]{2}$');
