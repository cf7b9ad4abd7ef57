-- Organisations: the tenants of multi-tenant apps. A person may belong to several; within each
-- they hold org roles, free-form names that mean something only inside that organisation (the
-- `org_roles` claim), with the same pattern as global roles so a claim value is always safe.
-- An app asks for one organisation (`organization=<id>`) and gets `org_id` and `org_roles`.
CREATE TABLE organisations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE organisation_members (
  organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  added_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organisation_id, user_id)
);
-- Every token with the organizations scope asks "which organisations is this account in".
CREATE INDEX organisation_members_user_idx ON organisation_members (user_id);

-- Leaving the organisation takes its org roles with it.
CREATE TABLE organisation_member_roles (
  organisation_id uuid NOT NULL,
  user_id uuid NOT NULL,
  role text NOT NULL CHECK (role ~ '^[a-z][a-z0-9_-]{0,39}$'),
  PRIMARY KEY (organisation_id, user_id, role),
  FOREIGN KEY (organisation_id, user_id) REFERENCES organisation_members (organisation_id, user_id) ON DELETE CASCADE
);

-- Invitations by email into one organisation, with the org roles the invitee will hold. As for
-- the other emailed links only the SHA-256 of the token is stored; a link is spent once.
CREATE TABLE organisation_invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  email text NOT NULL CHECK (length(email) <= 320),
  org_roles text[] NOT NULL DEFAULT '{}' CHECK (cardinality(org_roles) <= 20),
  token_hash text NOT NULL,
  invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organisation_invitations_token_hash_key ON organisation_invitations (token_hash);
CREATE INDEX organisation_invitations_organisation_idx ON organisation_invitations (organisation_id);
CREATE INDEX organisation_invitations_expires_at_idx ON organisation_invitations (expires_at);
