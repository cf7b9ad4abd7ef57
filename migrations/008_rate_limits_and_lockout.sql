-- Rate-limit counters when there is no Redis: rate-limiter-flexible's Postgres layout.
-- expire is epoch milliseconds; the sweeper deletes rows past it.
CREATE TABLE rate_limits (
  key varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);
CREATE INDEX rate_limits_expire_idx ON rate_limits (expire);

-- The small fixed-window counters of the account pages now go through the same store.
DROP TABLE rate_limit_hits;

-- Account lockout after repeated wrong passwords: how many times the account has been
-- locked (the delay grows with it) and until when. Unlock links are single-use, hashed.
CREATE TABLE account_lockouts (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  lock_count integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Unlock links, like the "this wasn't me" links below, have the shape of password reset links
-- (003), and one repository serves all three (user-link-tokens.ts). They stay separate tables so
-- a link of one kind can never be spent at another kind's page. LIKE … INCLUDING ALL copies the
-- columns, defaults and indexes but not the foreign key, which is added after.
CREATE TABLE unlock_tokens (LIKE password_reset_tokens INCLUDING ALL);
ALTER TABLE unlock_tokens ADD FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;

-- New-device alerts: the browsers each account has signed in from, known by the
-- SHA-256 of a random id in a long-lived cookie, and the single-use "this wasn't me" links.
CREATE TABLE known_devices (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  device_hash text NOT NULL,
  label text NOT NULL,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX known_devices_user_device_key ON known_devices (user_id, device_hash);

CREATE TABLE sign_in_alert_tokens (LIKE password_reset_tokens INCLUDING ALL);
ALTER TABLE sign_in_alert_tokens ADD FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
