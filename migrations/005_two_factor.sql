-- Two-factor sign-in.

-- One authenticator (TOTP, RFC 6238) per person. The shared secret is sealed with AES-256-GCM under
-- ENCRYPTION_KEY. It counts only once confirmed_at is set by a first valid code; until then a new
-- enrolment replaces it. last_used_step is the newest time step accepted: a code for that step or
-- an older one is refused, so a code cannot be used twice (RFC 6238 §5.2).
CREATE TABLE totp_credentials (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret_encrypted text NOT NULL,
  confirmed_at timestamptz,
  last_used_step bigint,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Single-use recovery codes. Only a keyed hash is stored (HMAC-SHA-256 under a key derived from
-- ENCRYPTION_KEY, bound to the user), so a copy of the table cannot be searched offline
-- (NIST 800-63B §3.1.2.2); the hash is also how a code is found.
CREATE TABLE backup_codes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash text NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX backup_codes_user_id_code_hash_key ON backup_codes (user_id, code_hash);

-- "Remember this device": the browser keeps a 256-bit random token, the row keeps its SHA-256.
CREATE TABLE trusted_devices (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL,
  label text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE UNIQUE INDEX trusted_devices_token_hash_key ON trusted_devices (token_hash);
CREATE INDEX trusted_devices_user_id_idx ON trusted_devices (user_id);
CREATE INDEX trusted_devices_expires_at_idx ON trusted_devices (expires_at);

-- Second-factor attempts since the last success, per person, and the lock they lead to. Kept in
-- Postgres rather than Redis: losing a lockout would silently reopen guessing (DESIGN.md §4).
CREATE TABLE second_factor_failures (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  failures integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
