// What the client service needs from the protocol edge when a client is deleted: every grant of
// the client, with the tokens issued under it, and its client-credentials tokens, gone from
// whichever store holds them. The implementation (oidc/client-revocation.ts) goes through the
// provider's stores; services only see this.

export interface RevokedClientTokens {
  /** Grants revoked, offline_access ones included, each with every token issued under it. */
  grants: number;
}

export type RevokeClientTokens = (clientId: string) => Promise<RevokedClientTokens>;
