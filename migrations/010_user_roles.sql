-- Roles on accounts: the admin API (/admin/api/*) admits only accounts with the `admin` role, and
-- twoFactor.policy.requiredForRoles names roles whose holders must have a second factor. A role is
-- a short lowercase name; the same pattern is checked in services/users.ts (roleSchema), and here
-- so no other writer can store one that the policy or the API would never match.
CREATE TABLE user_roles (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role ~ '^[a-z][a-z0-9_-]{0,39}$'),
  granted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, role)
);
