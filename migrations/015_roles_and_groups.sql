-- Roles an admin defines (a name and a description), and groups: sets of accounts that hold roles.
-- A person's effective roles are their own (user_roles) plus those of every group they are in.
-- Names follow user_roles' pattern (migration 010), so a role or group name is always a safe,
-- short claim value. A role granted before it was defined is defined by that grant
-- (repositories/user-roles.ts), so the catalogue starts with every role already held.
CREATE TABLE roles (
  name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_-]{0,39}$'),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO roles (name, description) VALUES ('admin', 'Manages Gatehouse: people, apps, roles, groups and organisations');
INSERT INTO roles (name) SELECT DISTINCT role FROM user_roles ON CONFLICT (name) DO NOTHING;
-- Deleting a role takes it from everyone and every group; renaming is not offered.
ALTER TABLE user_roles ADD CONSTRAINT user_roles_role_defined FOREIGN KEY (role) REFERENCES roles (name) ON DELETE CASCADE;

CREATE TABLE groups (
  name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_-]{0,39}$'),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE group_members (
  group_name text NOT NULL REFERENCES groups (name) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  added_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_name, user_id)
);
-- Every token with the roles or groups scope asks "which groups is this account in".
CREATE INDEX group_members_user_idx ON group_members (user_id);

CREATE TABLE group_roles (
  group_name text NOT NULL REFERENCES groups (name) ON DELETE CASCADE,
  role text NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
  PRIMARY KEY (group_name, role)
);
