// Types shared by the self-service routes.
import type { RouterMiddleware } from '@koa/router';
import type { FormState } from '../http/body.js';

export type AccountState = FormState;
export type AccountStep = RouterMiddleware<AccountState>;
export type AccountContext = Parameters<AccountStep>[0];
