-- Password reset tokens. As for email verification, only the SHA-256 of the 256-bit
-- random token is stored, so a copy of the table does not yield working links.
CREATE TABLE password_reset_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL,
  expires_at timestamptz NOT NULL,
  consumed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX password_reset_tokens_token_hash_key ON password_reset_tokens (token_hash);
CREATE INDEX password_reset_tokens_user_id_idx ON password_reset_tokens (user_id);
CREATE INDEX password_reset_tokens_expires_at_idx ON password_reset_tokens (expires_at);

-- A reset ends every grant and session of the account: Grant and Session payloads carry accountId.
CREATE INDEX oidc_payloads_account_id_idx ON oidc_payloads (model, (payload->>'accountId'));
