-- The audit trail: who did what, from where, and whether it worked. Append-only apart
-- from the retention sweep and erasing an account's personal data (services/audit.ts).
-- account_id has no foreign key on purpose: the rows outlive the account they describe. Values
-- never include a password, code, token, cookie or secret; `detail` holds short scalars only.
CREATE TABLE audit_events (
  id bigserial PRIMARY KEY,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  type text NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('success', 'failure')),
  account_id uuid,
  -- The address involved (typed at sign-in, or the account's): personal data, erased with the account.
  email text CHECK (length(email) <= 320),
  client_id text,
  ip text,
  user_agent text CHECK (length(user_agent) <= 512),
  detail jsonb NOT NULL DEFAULT '{}'
);
-- Listings run newest first by (occurred_at, id), filtered by time, account, type or address.
CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at, id);
CREATE INDEX audit_events_account_id_idx ON audit_events (account_id, occurred_at) WHERE account_id IS NOT NULL;
CREATE INDEX audit_events_type_idx ON audit_events (type, occurred_at);
CREATE INDEX audit_events_email_idx ON audit_events (lower(email)) WHERE email IS NOT NULL;
