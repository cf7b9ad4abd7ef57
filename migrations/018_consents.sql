-- What a person allowed an app: the OIDC scopes, the claims asked for one by one, and each API's
-- scopes (RFC 8707 resource -> its scopes). Remembered beyond any one session or grant, so that a
-- sign-out or a password reset (which revoke grants) does not ask again; only a new scope does.
-- The account's /account/apps page lists these rows and removes one ("Remove access").
-- last_used_at moves when the app signs the person in or refreshes a token, at most once a minute.
CREATE TABLE consents (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  client_id text NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
  scopes text[] NOT NULL DEFAULT '{}',
  claims text[] NOT NULL DEFAULT '{}',
  resource_scopes jsonb NOT NULL DEFAULT '{}',
  granted_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  PRIMARY KEY (user_id, client_id)
);
CREATE INDEX consents_client_id_idx ON consents (client_id);
