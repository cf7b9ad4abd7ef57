// Where a request came from, for the audit trail. ctx.ip honours X-Forwarded-For only when the
// app trusts proxies (TRUST_PROXY), so a client cannot choose the address it is recorded under.
import { MAX_USER_AGENT_CHARS, type RequestOrigin } from '../services/audit.js';

export function requestMeta(ctx: { ip: string; get(field: string): string }): RequestOrigin {
  const userAgent = ctx.get('user-agent');
  return { ip: ctx.ip, userAgent: userAgent ? userAgent.slice(0, MAX_USER_AGENT_CHARS) : null };
}
