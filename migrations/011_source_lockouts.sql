-- Lockout per (account, source) instead of per account (NIST 800-63B §5.2.2: rate limiting must
-- not let an attacker deny the owner service). A source is the IP an attempt came from, or a
-- browser the account has signed in from before (its device-cookie hash, known_devices in 008).
-- lock_count makes each further lock of the same pair longer; expires_at is when the row may be
-- forgotten (the sweeper deletes it), a while after the lock.
CREATE TABLE source_lockouts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  source_id text NOT NULL,
  lock_count integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  expires_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX source_lockouts_user_source_key ON source_lockouts (user_id, source_id);
CREATE INDEX source_lockouts_expires_at_idx ON source_lockouts (expires_at);

-- An unlock link ends the lock of the pair it was mailed for; links mailed before this migration
-- (no source) end every lock of their account.
ALTER TABLE unlock_tokens ADD COLUMN source_id text;

-- Whole-account locks are gone: one person guessing can no longer lock the owner out.
DROP TABLE account_lockouts;
