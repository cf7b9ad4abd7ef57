// A resource server asking Gatehouse about a token (RFC 7662), authenticated with client_secret_basic.
import { expect } from 'vitest';

export interface ConfidentialClient {
  id: string;
  secret: string;
}

/** RFC 6749 §2.3.1: the client id and secret form-encoded, then Basic. */
export function basicAuth(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export async function introspect(issuer: string, caller: ConfidentialClient, token: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${issuer}/token/introspection`, {
    method: 'POST',
    headers: { authorization: basicAuth(caller.id, caller.secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  expect(response.status).toBe(200);
  return response.json() as Promise<Record<string, unknown>>;
}
