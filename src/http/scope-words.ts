// Scopes and claims in plain words, for every page that names what an app may do: the consent
// page (interactions/) and the apps a person allowed (account/apps.ts).
import { ADMIN_API_PATH, ADMIN_SCOPE } from '../paths.js';

const SCOPE_WORDS: Record<string, string> = {
  openid: 'Confirm who you are',
  profile: 'See your name and basic profile details',
  email: 'See your email address and whether it is verified',
  offline_access: "Stay signed in: keep access when you're away",
  roles: 'See the roles you hold',
  groups: 'See the groups you belong to',
  organizations: 'See which organisations you belong to',
};

const CLAIM_WORDS: Record<string, string> = {
  name: 'Your full name',
  given_name: 'Your first name',
  family_name: 'Your last name',
  updated_at: 'When your profile was last updated',
  email: 'Your email address',
  email_verified: 'Whether your email address is verified',
  roles: 'The roles you hold',
  groups: 'The groups you belong to',
  organizations: 'Which organisations you belong to',
  org_id: 'The organisation you are signing in for',
  org_roles: 'Your roles in that organisation',
};

export interface Described {
  name: string;
  description: string;
}

export function describeScopes(scopes: readonly string[]): Described[] {
  return scopes.map((name) => ({ name, description: SCOPE_WORDS[name] ?? `Use the "${name}" permission` }));
}

export function describeResourceScopes(byResource: Record<string, readonly string[]>): Described[] {
  return Object.entries(byResource).flatMap(([resource, scopes]) =>
    scopes.map((name) => ({ name, description: describeResourceScope(resource, name) })));
}

// The admin API's scope gets words of its own: whoever allows it hands the app their admin power.
function describeResourceScope(resource: string, name: string): string {
  if (name === ADMIN_SCOPE && new URL(resource).pathname === ADMIN_API_PATH) {
    return 'Act as a Gatehouse administrator: look up any account, see where people are signed in, and sign them out';
  }
  return `Use the "${name}" permission at ${resource}`;
}

export function describeClaims(claims: readonly string[]): Described[] {
  return claims.map((name) => ({ name, description: CLAIM_WORDS[name] ?? name }));
}

