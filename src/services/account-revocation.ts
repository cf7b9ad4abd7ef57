// What the account services need from the protocol edge to sign a person out everywhere. The
// implementation (oidc/account-revocation.ts) goes through the provider's stores; services only
// see this.
import type { EndedSession } from './sessions.js';

export interface RevokeAccountOptions {
  /** A session to keep signed in (the one asking for a password change), with its grants. */
  exceptSessionId?: string | undefined;
  /** Why, for the session-ended events and the back-channel logout outbox. */
  reason?: 'password-reset' | 'password-changed' | 'account-closed' | 'admin' | undefined;
  /** Who asked, when it is not the person (the audit rows' `by`: admin-cli, admin:<account id>). */
  by?: string | undefined;
}

export interface RevokedAccountTokens {
  sessions: EndedSession[];
  /** Grants revoked, offline_access ones included, each with every token issued under it. */
  grants: number;
}

/** Ends the account's sessions and revokes its grants with every token issued under them. */
export type RevokeAccountTokens = (accountId: string, options?: RevokeAccountOptions) => Promise<RevokedAccountTokens>;
