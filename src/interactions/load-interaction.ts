// Re-reads the interaction on every request (STYLE example 2): the cookie-bound interaction must
// exist, be the one named in the URL, and wait for the prompt the route handles.
import type { RouterMiddleware } from '@koa/router';
import type Provider from 'oidc-provider';
import { errors, type Interaction } from 'oidc-provider';
import { AppError } from '../errors.js';
import type { FormState } from '../http/body.js';
import { preferUiLocales, type LocaleState } from '../http/locale.js';
import { knownApp } from '../http/error-page.js';

export class InteractionExpiredError extends AppError {
  constructor(options: { cause?: unknown; app?: AppError['app'] } = {}) {
    super('This sign-in link has expired or was already used. Go back to the application and start again.', {
      status: 400,
      code: 'interaction_expired',
      ...options,
    });
  }
}

export interface InteractionState extends FormState, LocaleState {
  interaction?: Interaction;
  pagePath?: string;
}

export type InteractionStep = RouterMiddleware<InteractionState>;
export type StepContext = Parameters<InteractionStep>[0];

/**
 * The app of the interaction named in the URL, when it still exists (a sign-in started in another
 * browser): the error page may offer to go back to it. Its redirect_uri was checked against the
 * client's registration when the interaction began. Best effort: undefined on any doubt.
 */
async function appOfInteraction(provider: Provider, uid: unknown): Promise<AppError['app']> {
  if (typeof uid !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(uid)) return undefined;
  try {
    const found = await provider.Interaction.find(uid);
    const clientId = found?.params.client_id;
    const client = typeof clientId === 'string' ? await provider.Client.find(clientId) : undefined;
    return client ? knownApp(client, found!.params.redirect_uri) : undefined;
  } catch {
    return undefined;
  }
}

export function loadInteraction(provider: Provider): InteractionStep {
  return async function loadInteractionDetails(ctx, next) {
    let interaction: Interaction;
    try {
      interaction = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (error) {
      // No interaction cookie for this path, an expired or consumed interaction, or its session gone.
      if (error instanceof errors.SessionNotFound) {
        throw new InteractionExpiredError({ cause: error, app: await appOfInteraction(provider, ctx.params.uid) });
      }
      throw error;
    }
    if (interaction.uid !== ctx.params.uid) throw new InteractionExpiredError({ app: await appOfInteraction(provider, ctx.params.uid) });
    ctx.state.interaction = interaction;
    // The app's language wishes for this sign-in, unless the person picked one since it began.
    preferUiLocales(ctx, interaction.params.ui_locales, interaction.iat);
    // Where the language picker brings the person back to, whichever step's form posted.
    ctx.state.pagePath = `/interaction/${interaction.uid}`;
    await next();
  };
}

/** The loaded interaction; loadInteraction must have run before. */
export function interactionOf(ctx: { state: InteractionState }): Interaction {
  const interaction = ctx.state.interaction;
  if (!interaction) throw new Error('interactionOf() called before loadInteraction()');
  return interaction;
}

/** The client the interaction is for, as the audit trail and the policy name it. */
export function clientIdOf(ctx: { state: InteractionState }): string | null {
  const clientId = interactionOf(ctx).params.client_id;
  return typeof clientId === 'string' ? clientId : null;
}

export function expectPrompt(name: 'login' | 'consent' | 'app_access'): InteractionStep {
  return async function expectPromptName(ctx, next) {
    // A form from an earlier step posted again (back button, second tab): the flow has moved on.
    if (interactionOf(ctx).prompt.name !== name) throw new InteractionExpiredError();
    await next();
  };
}
