// Revokes a grant and every token issued under it, through the provider's own adapters so it
// reaches whichever store holds each model (Postgres, or Redis for the short-lived ones). Tokens
// a request is still saving die with the Grant: every token use re-reads its grant.
import type Provider from 'oidc-provider';
import type { AdapterFactory } from 'oidc-provider';

const GRANTABLE_MODELS = ['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest'] as const;

/** Over the stores themselves, for code built before the provider (the session ender, account revocation). */
export async function revokeGrantIn(adapters: AdapterFactory, grantId: string): Promise<void> {
  await Promise.all([
    ...GRANTABLE_MODELS.map((model) => adapters(model).revokeByGrantId(grantId)),
    adapters('Grant').destroy(grantId),
  ]);
}

export async function revokeGrant(provider: Provider, grantId: string): Promise<void> {
  await revokeGrantIn((model) => provider[model as (typeof GRANTABLE_MODELS)[number] | 'Grant'].adapter, grantId);
}
