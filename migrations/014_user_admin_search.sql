-- The admin's user list pages newest first by (created_at, id) (keyset pagination), and filters
-- by role: both need an index once there are many accounts. The free-text search (a substring of
-- the address or the name, any case) scans the page's rows in that order and stops at the limit.
CREATE INDEX users_created_at_id_idx ON users (created_at DESC, id DESC);
CREATE INDEX user_roles_role_user_id_idx ON user_roles (role, user_id);
