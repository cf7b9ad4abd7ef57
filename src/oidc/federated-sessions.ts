// Keeps, per oidc-provider session, which upstream it signed in through, so ID tokens minted later
// at the token endpoint can carry `idp`. oidc-provider keeps only accountId/amr/acr of a login, so
// the interaction's result carries `federation.idp` beside the login, and this middleware records
// it once the authorization endpoint has applied the login to the session.
import type Koa from 'koa';

interface ResumeContext {
  oidc?: {
    route?: string;
    session?: { uid?: string };
    result?: { login?: { amr?: unknown }; federation?: { idp?: unknown } };
  };
}

export function rememberFederatedSessions(remember: (sessionUid: string, providerId: string | undefined) => Promise<void>): Koa.Middleware {
  return async function rememberFederatedSession(ctx, next) {
    await next();
    const { oidc } = ctx as unknown as ResumeContext;
    const login = oidc?.route === 'resume' ? oidc.result?.login : undefined;
    const sessionUid = oidc?.session?.uid;
    if (!login || !sessionUid) return;
    const idp = oidc?.result?.federation?.idp;
    if (typeof idp === 'string') await remember(sessionUid, idp);
    // A step-up (second factor added to a federated session) keeps amr 'fed' and its record.
    else if (!(Array.isArray(login.amr) && login.amr.includes('fed'))) await remember(sessionUid, undefined);
  };
}
