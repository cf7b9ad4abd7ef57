// For the dynamic registration tests: a settings file per mode, a call to the registration or
// client configuration endpoint whose answer is read as JSON, and the discovery document.
import { afterAll } from 'vitest';
import { createSettingsFiles } from './accounts.js';
import { RP_REDIRECT_URI } from './relying-party.js';
import type { TestApp } from './start-app.js';

export type RegistrationMode = 'off' | 'token' | 'open';

/** A SETTINGS_FILE with this dynamicRegistration.mode; the files go when the test file ends. */
/** A settings file per mode; the per-IP limit is raised (these suites register far more than 20 clients from one address) unless given. */
export function registrationSettings(prefix: string): (mode: RegistrationMode, perIp?: { points: number; windowSeconds: number }) => string {
  const settings = createSettingsFiles(prefix);
  afterAll(() => settings.remove());
  return (mode, perIp = { points: 10_000, windowSeconds: 3600 }) => settings.file(`${mode}-${perIp.points}`, {
    dynamicRegistration: { mode }, rateLimits: { clientRegistrationPerIp: perIp },
  });
}

export const WEB_CLIENT = { client_name: 'Orbit planner', redirect_uris: [RP_REDIRECT_URI] };

export interface Answer { status: number; body: Record<string, unknown> }

/** POST by default; the answer must be JSON (asked with Accept: text/html, which protocol endpoints ignore). */
export async function call(url: string, options: { method?: string; token?: string; json?: unknown; raw?: string } = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: options.method ?? 'POST',
    headers: {
      ...(options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.json !== undefined || options.raw !== undefined ? { 'content-type': 'application/json' } : {}),
      accept: 'text/html',
    },
    ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
    ...(options.raw !== undefined ? { body: options.raw } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) as Record<string, unknown> : {} };
}

export async function discovery(app: TestApp): Promise<Record<string, unknown>> {
  return (await fetch(`${app.issuer}/.well-known/openid-configuration`)).json() as Promise<Record<string, unknown>>;
}
