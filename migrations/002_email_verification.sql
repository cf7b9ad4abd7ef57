-- Email verification tokens. Only the SHA-256 of the 256-bit random token is stored, so a
-- copy of the table does not yield working links. `email` binds a token to the address it was sent
-- to: a token stops working when the account's address changes.
CREATE TABLE email_verification_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  email text NOT NULL,
  token_hash text NOT NULL,
  expires_at timestamptz NOT NULL,
  consumed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX email_verification_tokens_token_hash_key ON email_verification_tokens (token_hash);
CREATE INDEX email_verification_tokens_user_id_idx ON email_verification_tokens (user_id);

-- Fixed-window hit counters for small rate limits (e.g. resending verification mail per address
-- and per IP). Keys are opaque (addresses are hashed before they get here).
CREATE TABLE rate_limit_hits (
  key text NOT NULL,
  window_start timestamptz NOT NULL,
  count integer NOT NULL DEFAULT 0,
  -- The window's end: the sweeper deletes the row after it.
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_limit_hits_expires_at_idx ON rate_limit_hits (expires_at);
CREATE INDEX email_verification_tokens_expires_at_idx ON email_verification_tokens (expires_at);
