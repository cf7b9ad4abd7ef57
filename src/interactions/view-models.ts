// Plain view models for the interaction pages: words for scopes and claims, the client's name.
// Views get strings and arrays only, never a Client, Grant or Interaction.
import type Provider from 'oidc-provider';
import type { Interaction } from 'oidc-provider';

export { describeClaims, describeResourceScopes, describeScopes, type Described } from '../http/scope-words.js';

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
