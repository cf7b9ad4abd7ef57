// The only SQL for organisations, their members and org roles, and invitations into them.
import type { Queryable } from '../db.js';

export interface OrganisationRow {
  id: string;
  slug: string;
  name: string;
  created_at: Date;
  members: number;
}

export interface MemberRow {
  user_id: string;
  email: string;
  added_at: Date;
  org_roles: string[];
}

export interface InvitationRow {
  id: string;
  organisation_id: string;
  email: string;
  org_roles: string[];
  expires_at: Date;
  accepted_at: Date | null;
  created_at: Date;
}

const BYTE_ORDER = 'COLLATE "C"';
const ORGANISATION_COLUMNS = `o.id, o.slug, o.name, o.created_at,
  (SELECT count(*)::int FROM organisation_members m WHERE m.organisation_id = o.id) AS members`;

/** Every organisation, or only those whose ids are given, by slug. */
export async function listOrganisations(db: Queryable, onlyIds?: readonly string[]): Promise<OrganisationRow[]> {
  const result = onlyIds
    ? await db.query<OrganisationRow>(`SELECT ${ORGANISATION_COLUMNS} FROM organisations o WHERE o.id = ANY($1::uuid[]) ORDER BY o.slug ${BYTE_ORDER}`, [onlyIds])
    : await db.query<OrganisationRow>(`SELECT ${ORGANISATION_COLUMNS} FROM organisations o ORDER BY o.slug ${BYTE_ORDER}`);
  return result.rows;
}

export async function findOrganisationById(db: Queryable, id: string): Promise<OrganisationRow | undefined> {
  const result = await db.query<OrganisationRow>(`SELECT ${ORGANISATION_COLUMNS} FROM organisations o WHERE o.id = $1`, [id]);
  return result.rows[0];
}

export async function findOrganisationBySlug(db: Queryable, slug: string): Promise<OrganisationRow | undefined> {
  const result = await db.query<OrganisationRow>(`SELECT ${ORGANISATION_COLUMNS} FROM organisations o WHERE o.slug = $1`, [slug]);
  return result.rows[0];
}

/** The new organisation's id; undefined when the slug is taken. */
export async function insertOrganisation(db: Queryable, input: { slug: string; name: string }): Promise<string | undefined> {
  const result = await db.query<{ id: string }>(
    'INSERT INTO organisations (slug, name) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING RETURNING id',
    [input.slug, input.name],
  );
  return result.rows[0]?.id;
}

export async function renameOrganisation(db: Queryable, id: string, name: string): Promise<boolean> {
  const result = await db.query('UPDATE organisations SET name = $2 WHERE id = $1', [id, name]);
  return result.rowCount > 0;
}

export async function deleteOrganisation(db: Queryable, id: string): Promise<boolean> {
  const result = await db.query('DELETE FROM organisations WHERE id = $1', [id]);
  return result.rowCount > 0;
}

/** Members with their org roles, by address. */
export async function listMembers(db: Queryable, organisationId: string): Promise<MemberRow[]> {
  const result = await db.query<MemberRow>(
    `SELECT m.user_id, u.email, m.added_at,
       coalesce((SELECT array_agg(r.role ORDER BY r.role ${BYTE_ORDER}) FROM organisation_member_roles r
                 WHERE r.organisation_id = m.organisation_id AND r.user_id = m.user_id), '{}') AS org_roles
     FROM organisation_members m JOIN users u ON u.id = m.user_id
     WHERE m.organisation_id = $1 ORDER BY lower(u.email) ${BYTE_ORDER}`,
    [organisationId],
  );
  return result.rows;
}

/** The account's org roles in the organisation, sorted; undefined when it is not a member. */
export async function findMembershipRoles(db: Queryable, organisationId: string, userId: string): Promise<string[] | undefined> {
  const result = await db.query<{ org_roles: string[] }>(
    `SELECT coalesce((SELECT array_agg(r.role ORDER BY r.role ${BYTE_ORDER}) FROM organisation_member_roles r
              WHERE r.organisation_id = m.organisation_id AND r.user_id = m.user_id), '{}') AS org_roles
     FROM organisation_members m WHERE m.organisation_id = $1 AND m.user_id = $2`,
    [organisationId, userId],
  );
  return result.rows[0]?.org_roles;
}

/** The organisations the account is in, with its org roles in each, by name. */
export async function listMembershipsOfUser(db: Queryable, userId: string): Promise<(Pick<OrganisationRow, 'id' | 'slug' | 'name'> & { org_roles: string[] })[]> {
  const result = await db.query<Pick<OrganisationRow, 'id' | 'slug' | 'name'> & { org_roles: string[] }>(
    `SELECT o.id, o.slug, o.name,
       coalesce((SELECT array_agg(r.role ORDER BY r.role ${BYTE_ORDER}) FROM organisation_member_roles r
                 WHERE r.organisation_id = m.organisation_id AND r.user_id = m.user_id), '{}') AS org_roles
     FROM organisation_members m JOIN organisations o ON o.id = m.organisation_id
     WHERE m.user_id = $1 ORDER BY lower(o.name) ${BYTE_ORDER}, o.id`,
    [userId],
  );
  return result.rows;
}

/** The ids of the organisations the account is in, sorted. */
export async function listOrganisationIdsOfUser(db: Queryable, userId: string): Promise<string[]> {
  const result = await db.query<{ organisation_id: string }>(
    'SELECT organisation_id FROM organisation_members WHERE user_id = $1 ORDER BY organisation_id',
    [userId],
  );
  return result.rows.map((row) => row.organisation_id);
}

/** The organisations in which the account holds the role, sorted. */
export async function listOrganisationIdsWhereRole(db: Queryable, userId: string, role: string): Promise<string[]> {
  const result = await db.query<{ organisation_id: string }>(
    'SELECT organisation_id FROM organisation_member_roles WHERE user_id = $1 AND role = $2 ORDER BY organisation_id',
    [userId, role],
  );
  return result.rows.map((row) => row.organisation_id);
}

/** True when the account was not a member yet. */
export async function addMember(db: Queryable, organisationId: string, userId: string): Promise<boolean> {
  const result = await db.query(
    'INSERT INTO organisation_members (organisation_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    [organisationId, userId],
  );
  return result.rowCount > 0;
}

/** True when the account was a member (its org roles go with it). */
export async function removeMember(db: Queryable, organisationId: string, userId: string): Promise<boolean> {
  const result = await db.query('DELETE FROM organisation_members WHERE organisation_id = $1 AND user_id = $2', [organisationId, userId]);
  return result.rowCount > 0;
}

/** Replaces the member's org roles with exactly these. */
export async function replaceMemberRoles(db: Queryable, organisationId: string, userId: string, roles: readonly string[]): Promise<void> {
  await db.query('DELETE FROM organisation_member_roles WHERE organisation_id = $1 AND user_id = $2', [organisationId, userId]);
  if (roles.length === 0) return;
  await db.query(
    'INSERT INTO organisation_member_roles (organisation_id, user_id, role) SELECT $1, $2, unnest($3::text[])',
    [organisationId, userId, roles],
  );
}

export async function insertOrganisationInvitation(db: Queryable, invitation: {
  organisationId: string; email: string; orgRoles: readonly string[]; tokenHash: string; invitedBy: string | null; ttlSeconds: number;
}): Promise<InvitationRow> {
  const result = await db.query<InvitationRow>(
    `INSERT INTO organisation_invitations (organisation_id, email, org_roles, token_hash, invited_by, expires_at)
     VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))
     RETURNING id, organisation_id, email, org_roles, expires_at, accepted_at, created_at`,
    [invitation.organisationId, invitation.email, invitation.orgRoles, invitation.tokenHash, invitation.invitedBy, invitation.ttlSeconds],
  );
  return result.rows[0]!;
}

/** The organisation's invitations not yet accepted nor expired, newest first. */
export async function listOpenInvitations(db: Queryable, organisationId: string): Promise<InvitationRow[]> {
  const result = await db.query<InvitationRow>(
    `SELECT id, organisation_id, email, org_roles, expires_at, accepted_at, created_at FROM organisation_invitations
     WHERE organisation_id = $1 AND accepted_at IS NULL AND expires_at > now() ORDER BY created_at DESC LIMIT 200`,
    [organisationId],
  );
  return result.rows;
}

/** A live invitation by the hash of its token, without spending it. */
export async function findLiveOrganisationInvitation(db: Queryable, tokenHash: string): Promise<InvitationRow | undefined> {
  const result = await db.query<InvitationRow>(
    `SELECT id, organisation_id, email, org_roles, expires_at, accepted_at, created_at FROM organisation_invitations
     WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > now()`,
    [tokenHash],
  );
  return result.rows[0];
}

/** Spends a live invitation in one statement (of two concurrent uses one wins). */
export async function acceptOrganisationInvitation(db: Queryable, tokenHash: string, userId: string): Promise<InvitationRow | undefined> {
  const result = await db.query<InvitationRow>(
    `UPDATE organisation_invitations SET accepted_at = now(), accepted_by = $2
     WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > now()
     RETURNING id, organisation_id, email, org_roles, expires_at, accepted_at, created_at`,
    [tokenHash, userId],
  );
  return result.rows[0];
}

export async function revokeOrganisationInvitation(db: Queryable, organisationId: string, id: string): Promise<InvitationRow | undefined> {
  const result = await db.query<InvitationRow>(
    `DELETE FROM organisation_invitations WHERE organisation_id = $1 AND id = $2 AND accepted_at IS NULL
     RETURNING id, organisation_id, email, org_roles, expires_at, accepted_at, created_at`,
    [organisationId, id],
  );
  return result.rows[0];
}
