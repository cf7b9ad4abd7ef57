// The measured scenarios. Each runs against one target for a fixed time, after an unmeasured warm-up.
import { JWT_SCOPE, type TargetReady } from './fixtures.js';
import { basicAuth, codeFlow, tokenRequest } from './flows.js';
import { cannon, runWorkers, type Measurement } from './load.js';
import type { BenchOptions } from './options.js';

export type Outcome = Measurement | { unsupported: string };

export function isMeasurement(outcome: Outcome | undefined): outcome is Measurement {
  return outcome !== undefined && 'perSecond' in outcome;
}

const FORM = 'application/x-www-form-urlencoded';
const INTROSPECTION_POOL = 64;

// Token pools are minted right before the scenario that spends them: the bare library's in-memory
// adapter is an LRU of 1000 entries, so tokens minted earlier would be evicted by other scenarios.
const refreshPools = new Map<string, string[]>();
const accessTokenPools = new Map<string, string[]>();

async function mintRefreshTokens(target: TargetReady, options: BenchOptions): Promise<void> {
  // A chain per connection for the warm-up, the measured and the profiled run; a run loses the tokens in flight
  // when it stops (the target rotated them, nobody read the answer).
  const wanted = options.connections * 4;
  const tokens: string[] = [];
  for (let round = 0; tokens.length < wanted && round < wanted * 2; round += options.loginWorkers) {
    const batch = await Promise.all(Array.from({ length: Math.min(options.loginWorkers, wanted - tokens.length) }, (_, i) =>
      codeFlow(target, target.users[(round + i) % target.users.length]!)));
    for (const answer of batch) {
      if (!answer.refresh_token) throw new Error('preparing refresh tokens: the code exchange issued no refresh token');
      tokens.push(answer.refresh_token);
    }
  }
  refreshPools.set(target.url, tokens);
}

async function mintAccessTokens(target: TargetReady): Promise<void> {
  const tokens: string[] = [];
  for (let i = 0; i < INTROSPECTION_POOL; i += 1) {
    tokens.push((await tokenRequest(target, target.machine, { grant_type: 'client_credentials' })).access_token);
  }
  accessTokenPools.set(target.url, tokens);
}

export interface ScenarioRun {
  target: TargetReady;
  options: BenchOptions;
  seconds: number;
}

export interface Scenario {
  key: string;
  label: string;
  /** Worth a CPU profile with BENCH_PROFILE=1 (the endpoints that do work, not static documents). */
  profiled?: boolean;
  /** Unmeasured set-up, run once per target before the warm-up. */
  prepare?(target: TargetReady, options: BenchOptions): Promise<void>;
  run(input: ScenarioRun): Promise<Outcome>;
}

function get(path: string) {
  return ({ target, options, seconds }: ScenarioRun) =>
    cannon({ url: new URL(path, target.url).href, connections: options.connections, durationSeconds: seconds });
}

export function clientCredentialsLoad(target: TargetReady, options: BenchOptions, seconds: number, overallRate?: number, params = 'grant_type=client_credentials') {
  return cannon({
    url: new URL('/token', target.url).href,
    method: 'POST',
    headers: { authorization: basicAuth(target.machine), 'content-type': FORM },
    body: params,
    connections: options.connections,
    durationSeconds: seconds,
    ...(overallRate ? { overallRate } : {}),
  });
}

export const SCENARIOS: Scenario[] = [
  { key: 'discovery', label: 'discovery', run: get('/.well-known/openid-configuration') },
  { key: 'jwks', label: 'JWKS', run: get('/jwks') },
  {
    key: 'clientCredentialsOpaque',
    profiled: true,
    label: 'client_credentials (opaque)',
    run: ({ target, options, seconds }) => clientCredentialsLoad(target, options, seconds),
  },
  {
    key: 'clientCredentialsJwt',
    profiled: true,
    label: 'client_credentials (JWT ES256)',
    async run({ target, options, seconds }) {
      if (!target.jwtResource) return { unsupported: 'not yet supported' };
      const params = new URLSearchParams({ grant_type: 'client_credentials', resource: target.jwtResource, scope: JWT_SCOPE });
      return clientCredentialsLoad(target, options, seconds, undefined, params.toString());
    },
  },
  {
    key: 'introspection',
    profiled: true,
    label: 'introspection (opaque)',
    prepare: mintAccessTokens,
    run({ target, options, seconds }) {
      const pool = accessTokenPools.get(target.url) ?? [];
      let next = 0;
      return cannon({
        url: new URL('/token/introspection', target.url).href,
        method: 'POST',
        headers: { authorization: basicAuth(target.machine), 'content-type': FORM },
        connections: options.connections,
        durationSeconds: seconds,
        setupRequest(request) {
          return { ...request, body: `token=${encodeURIComponent(pool[next++ % pool.length] ?? 'none')}` };
        },
        // An inactive answer is a 200 too; only an active one counts as served.
        accept: (_status, body) => body.includes('"active":true'),
      });
    },
  },
  {
    key: 'refresh',
    profiled: true,
    label: 'refresh (rotating)',
    prepare: mintRefreshTokens,
    run({ target, options, seconds }) {
      // Each answer's new refresh token goes back to the pool; each request takes one out, so no
      // token is sent twice (a second use would revoke its grant, RFC 9700 §4.14.2).
      const pool = refreshPools.get(target.url) ?? [];
      return cannon({
        url: new URL('/token', target.url).href,
        method: 'POST',
        headers: { authorization: basicAuth(target.web), 'content-type': FORM },
        connections: options.connections,
        durationSeconds: seconds,
        setupRequest(request) {
          const token = pool.shift() ?? 'pool-exhausted';
          return { ...request, body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}` };
        },
        onResponse(status, body) {
          if (status === 200) pool.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
        },
      });
    },
  },
  {
    key: 'codeFlow',
    profiled: true,
    label: 'code flow (sign-in + code exchange)',
    run({ target, options, seconds }) {
      return runWorkers({
        workers: options.loginWorkers,
        durationSeconds: seconds,
        task: (worker, iteration) => codeFlow(target, target.users[(worker + iteration * options.loginWorkers) % target.users.length]!),
      });
    },
  },
];
