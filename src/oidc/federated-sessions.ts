// Keeps, per oidc-provider session, which upstream it signed in through, so ID tokens minted later
// at the token endpoint can carry `idp`. oidc-provider keeps only accountId/amr/acr of a login, so
// the interaction's result carries `federation.idp` beside the login, and this middleware records
// it once the authorization endpoint has applied the login to the session. Other sign-ins write
// nothing: `idp` is looked up only for a login whose amr says 'fed' (oidc/account.ts), so a record
// left by an earlier federated login of the session is never read, and the sweeper removes it.
import type Koa from 'koa';

interface ResumeContext {
  oidc?: {
    route?: string;
    session?: { uid?: string };
    result?: { login?: unknown; federation?: { idp?: unknown } };
  };
}

export function rememberFederatedSessions(remember: (sessionUid: string, providerId: string) => Promise<void>): Koa.Middleware {
  return async function rememberFederatedSession(ctx, next) {
    await next();
    const { oidc } = ctx as unknown as ResumeContext;
    if (oidc?.route !== 'resume' || !oidc.result?.login) return;
    const sessionUid = oidc.session?.uid;
    const idp = oidc.result.federation?.idp;
    if (sessionUid && typeof idp === 'string') await remember(sessionUid, idp);
  };
}
