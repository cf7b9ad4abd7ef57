// What the account services need from the protocol edge to sign a person out everywhere. The
// implementation (oidc/account-revocation.ts) goes through oidc-provider; services only see this.
export interface RevokeAccountOptions {
  /** A session to keep signed in (the one asking for a password change), with its grants. */
  exceptSessionId?: string | undefined;
  /** Why, for the session-ended events and the back-channel logout outbox. */
  reason?: 'password-reset' | 'password-changed' | 'account-closed' | undefined;
}

/** Ends the account's sessions and revokes its grants with every token issued under them. */
export type RevokeAccountTokens = (accountId: string, options?: RevokeAccountOptions) => Promise<void>;
