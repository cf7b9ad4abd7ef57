// The errors every payload adapter (Postgres, Redis) raises for the races it closes, shared so the
// provider sees one answer whichever store holds the model.
import { errors } from 'oidc-provider';

const REDEEMABLE_LABELS: Record<string, string> = {
  AuthorizationCode: 'authorization code',
  RefreshToken: 'refresh token',
  DeviceCode: 'device code',
  BackchannelAuthenticationRequest: 'backchannel authentication request',
  PreAuthorizedCode: 'pre-authorized code',
};

/** A live ReplayDetection record already holds this id: the jti (DPoP proof, client assertion) was replayed. */
export class ReplayDetectedError extends errors.InvalidRequest {
  constructor() {
    super('token identifier (jti) has already been used');
  }
}

const concurrentReuseErrors = new WeakSet<Error>();

/** The record was consumed (or removed) between oidc-provider's find and its consume. */
export function createConsumeConflictError(model: string): Error {
  const error = model === 'PushedAuthorizationRequest'
    ? new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used')
    : new errors.InvalidGrant(`${REDEEMABLE_LABELS[model] ?? model} already consumed`);
  concurrentReuseErrors.add(error);
  return error;
}

/** True for the error a request gets when it lost a concurrent redemption race. */
export function isConcurrentReuse(error: unknown): boolean {
  return error instanceof Error && concurrentReuseErrors.has(error);
}
