// Revokes a grant and every token issued under it, through oidc-provider's own adapters so it
// reaches whichever store holds each model (Postgres, or Redis for the short-lived ones). Tokens
// a request is still saving die with the Grant: every token use re-reads its grant.
import type Provider from 'oidc-provider';

export async function revokeGrant(provider: Provider, grantId: string): Promise<void> {
  const grantable = [
    provider.AccessToken, provider.AuthorizationCode, provider.RefreshToken,
    provider.DeviceCode, provider.BackchannelAuthenticationRequest,
  ];
  await Promise.all([
    ...grantable.map((model) => model.adapter.revokeByGrantId(grantId)),
    provider.Grant.adapter.destroy(grantId),
  ]);
}
