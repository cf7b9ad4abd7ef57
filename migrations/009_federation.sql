-- Sign-in through other identity providers.

-- An upstream identity linked to one Gatehouse account. It is keyed by the upstream's issuer and
-- subject — for Microsoft Entra the tenant-specific issuer (naming `tid`) and the object id `oid` —
-- never by email, which an upstream may let people change (OIDC Core §5.7). An account links at
-- most one identity per provider. The email is what the upstream said at the last sign-in, shown
-- on the account page only.
CREATE TABLE federated_identities (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider_id text NOT NULL CHECK (length(provider_id) <= 32),
  issuer text NOT NULL CHECK (length(issuer) <= 500),
  subject text NOT NULL CHECK (length(subject) <= 255),
  email text CHECK (length(email) <= 320),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);
CREATE UNIQUE INDEX federated_identities_issuer_subject_key ON federated_identities (issuer, subject);
CREATE UNIQUE INDEX federated_identities_user_provider_key ON federated_identities (user_id, provider_id);

-- Which upstream a signed-in session came through, by oidc-provider session uid, so ID tokens
-- minted later at the token endpoint (code or refresh) can name it in the `idp` claim. A row
-- lives as long as the longest session could; a password sign-in in the same session removes it.
CREATE TABLE federated_sessions (
  session_uid text PRIMARY KEY,
  provider_id text NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX federated_sessions_expires_at_idx ON federated_sessions (expires_at);
