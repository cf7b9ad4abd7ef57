-- Personal access tokens: bearer tokens a person makes on the account pages for scripts and tools,
-- answered at introspection like any access token (oidc/adapters/personal-access-tokens.ts). Only
-- a keyed hash (HMAC-SHA-256 under a key derived from ENCRYPTION_KEY) of the value is kept: a copy
-- of the table holds no usable token, nor anything to test guesses against without the key.
-- A revoked token stays listed as revoked until it would have expired; the sweeper then drops it.
CREATE TABLE personal_access_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  token_hash text NOT NULL,
  scope text NOT NULL CHECK (length(scope) <= 1000),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE UNIQUE INDEX personal_access_tokens_token_hash_key ON personal_access_tokens (token_hash);
CREATE INDEX personal_access_tokens_user_id_idx ON personal_access_tokens (user_id);
CREATE INDEX personal_access_tokens_expires_at_idx ON personal_access_tokens (expires_at);
