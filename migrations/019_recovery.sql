-- Recovery that works after an account was taken over.
--
-- A blocked password: "this wasn't me" and undoing an email change both suspect that someone else
-- knows the current password, so it stops signing in until a new one is set (a reset, or an
-- admin's set-password). Any new password hash clears it (storage/repositories/users.ts).
ALTER TABLE users ADD COLUMN password_blocked_at timestamptz;

-- The "undo" link of the email-changed notice, sent to the OLD address: it restores that address
-- for a limited time. Only a keyed hash (HMAC-SHA-256 under a key derived from ENCRYPTION_KEY) of
-- the token is kept. previous_email is what the link restores; changed_email is the address the
-- change moved the account to (for the audit trail). A link outlives later changes, so whoever
-- moved the account on again cannot strand the owner; using one spends the links made after it.
CREATE TABLE email_change_undo_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL,
  previous_email text NOT NULL CHECK (length(previous_email) <= 320),
  changed_email text NOT NULL CHECK (length(changed_email) <= 320),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  consumed_at timestamptz
);
CREATE UNIQUE INDEX email_change_undo_tokens_token_hash_key ON email_change_undo_tokens (token_hash);
CREATE INDEX email_change_undo_tokens_user_id_idx ON email_change_undo_tokens (user_id);
CREATE INDEX email_change_undo_tokens_expires_at_idx ON email_change_undo_tokens (expires_at);
