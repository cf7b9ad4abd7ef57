// Every branch of an interaction ends here: the result is stored on the interaction and the
// browser goes back to oidc-provider's resume URL with a 303, so the POST is not repeated.
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';

export async function finishInteraction(
  ctx: Koa.Context,
  provider: Provider,
  result: InteractionResults,
  options: { mergeWithLastSubmission: boolean },
): Promise<void> {
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, options);
  ctx.status = 303;
  ctx.redirect(returnTo);
}
