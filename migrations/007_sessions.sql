-- Sessions people can see and end, and back-channel logout that reaches every app.

-- What the account pages show about each signed-in session: the browser's address and user agent
-- as last seen, whether the person chose "remember me", and the clients the session signed in to.
ALTER TABLE account_sessions
  ADD COLUMN ip text,
  ADD COLUMN user_agent text CHECK (length(user_agent) <= 512),
  ADD COLUMN remembered boolean NOT NULL DEFAULT true,
  ADD COLUMN client_ids text[] NOT NULL DEFAULT '{}';
-- Pages and the CLI name a session by its uid: the id is the session cookie's value.
CREATE INDEX account_sessions_session_uid_idx ON account_sessions (session_uid);

-- The outbox of OpenID Back-Channel Logout 1.0 deliveries: one row per client to tell that a
-- session ended. Rows are written before the session is destroyed and survive a restart; a
-- worker on any node claims due rows with FOR UPDATE SKIP LOCKED, mints a fresh logout token for
-- each attempt (the token itself is never stored) and retries with backoff.
CREATE TABLE logout_deliveries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  client_id text NOT NULL,
  account_id text NOT NULL,
  sid text,
  -- The logout token's jti, kept across attempts so a client can spot a repeat.
  jti text NOT NULL,
  reason text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error text CHECK (length(last_error) <= 300),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX logout_deliveries_due_idx ON logout_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX logout_deliveries_created_at_idx ON logout_deliveries (created_at);
