// The signing keys the provider signs tokens with (kid, algorithm, status, age); never a private key.
import type { SigningKeySummary } from '../../services/signing-keys.js';
import type { ConsolePages, ConsoleStep } from './state.js';

export function createKeysSteps(deps: { signingKeys: { list(): Promise<SigningKeySummary[]> }; pages: ConsolePages }) {
  const { signingKeys, pages } = deps;

  const showKeys: ConsoleStep = async function showKeys(ctx) {
    const keys = (await signingKeys.list()).map((key) => ({ ...key, createdAt: key.createdAt.toISOString() }));
    await pages.render(ctx, 'keys', 'keys', { title: 'Signing keys', keys });
  };

  return { showKeys };
}
