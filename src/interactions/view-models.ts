// Plain view models for the interaction pages: words for scopes and claims, the client's name.
// Views get strings and arrays only, never a Client, Grant or Interaction.
import type Provider from 'oidc-provider';
import type { Interaction } from 'oidc-provider';
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

export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** The name a person recognises: the registered client_name, else the client_id. */
export async function clientDisplayName(provider: Provider, interaction: Interaction): Promise<string> {
  return (await clientShown(provider, interaction)).name;
}

/** The app as a sign-in page shows it: its name, and its registered logo_uri (shown only from allowed origins). */
export async function clientShown(provider: Provider, interaction: Interaction): Promise<{ name: string; logoUri: string | undefined }> {
  const clientId = String(interaction.params.client_id ?? '');
  const client = clientId ? await provider.Client.find(clientId) : undefined;
  return { name: client?.clientName ?? clientId, logoUri: client?.logoUri };
}

export interface InteractionPaths {
  /** The page of whatever step the interaction is at. */
  prompt: string;
  login: string;
  secondFactor: string;
  confirm: string;
  abort: string;
  /** Back to the app with access_denied, from the page saying the person may not use it. */
  noAccess: string;
  /** Sign-in through an upstream: start (POST), continue after its callback (GET), link, cancel a link. */
  federated: string;
  federatedLink: string;
  federatedCancel: string;
}

export function interactionPaths(uid: string): InteractionPaths {
  const base = `/interaction/${encodeURIComponent(uid)}`;
  return {
    prompt: base, login: `${base}/login`, secondFactor: `${base}/second-factor`, confirm: `${base}/confirm`, abort: `${base}/abort`,
    federated: `${base}/federated`, federatedLink: `${base}/federated/link`, federatedCancel: `${base}/federated/cancel`,
    noAccess: `${base}/no-access`,
  };
}
