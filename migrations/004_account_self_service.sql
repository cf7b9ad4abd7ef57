-- Self-service account pages: deactivation, email change, and an index of each account's
-- signed-in sessions.

-- 'deactivated' is chosen by the person (reversible by signing in again or by an admin, per
-- accounts.reactivation); 'disabled' is an admin's decision.
ALTER TABLE users DROP CONSTRAINT users_status_check;
ALTER TABLE users ADD CONSTRAINT users_status_check CHECK (status IN ('active', 'disabled', 'deactivated'));
ALTER TABLE users ADD COLUMN deactivated_at timestamptz;

-- An email change mails a link to the new address: the token names the address it confirms
-- (email) and the one the account had when the change was asked for (previous_email), so a
-- link stops working if the address changed meanwhile.
ALTER TABLE email_verification_tokens
  ADD COLUMN purpose text NOT NULL DEFAULT 'verify' CHECK (purpose IN ('verify', 'change')),
  ADD COLUMN previous_email text,
  ADD CONSTRAINT email_verification_tokens_change_has_previous CHECK (purpose = 'verify' OR previous_email IS NOT NULL);

-- Every signed-in browser session of an account, wherever oidc-provider keeps the session itself
-- (Postgres or Redis, whose keys cannot be listed by account). Maintained by the Session adapter;
-- no foreign key, so writing a session never fails on an account deleted a moment before.
CREATE TABLE account_sessions (
  session_id text PRIMARY KEY,
  account_id uuid NOT NULL,
  session_uid text NOT NULL,
  login_at timestamptz,
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX account_sessions_account_id_idx ON account_sessions (account_id);
CREATE INDEX account_sessions_expires_at_idx ON account_sessions (expires_at);

-- Invitations for registration.policy "invite-only" (and a verified shortcut under "open"): an
-- admin invites an address, the link lets that address register once. Only the SHA-256 of the
-- token is stored, as for the other emailed links.
CREATE TABLE invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL CHECK (length(email) <= 320),
  token_hash text NOT NULL,
  expires_at timestamptz NOT NULL,
  consumed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX invitations_token_hash_key ON invitations (token_hash);
CREATE INDEX invitations_expires_at_idx ON invitations (expires_at);
