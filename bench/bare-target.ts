// The bare library as a benchmark target: oidc-provider with its default in-memory adapter, the same
// clients, key types, features and lifetimes as Gatehouse, a trivial findAccount, and no pages.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { errors, type Configuration } from 'oidc-provider';
import { loadSettings } from '../src/config.js';
import { parseClientInput } from '../src/services/clients.js';
import {
  JWT_RESOURCE, JWT_SCOPE, RESOURCE_SERVERS, USER_COUNT, USER_PASSWORD, WEB_CLIENT_INPUT, machineClientInput, userEmail,
  type TargetReady, type TargetSpec,
} from './fixtures.js';

const ALGORITHMS = [
  ['RS256', { modulusLength: 2048 }],
  ['ES256', {}],
  ['EdDSA', { crv: 'Ed25519' }],
] as const;

async function generateKeys(): Promise<JWK[]> {
  const keys: JWK[] = [];
  for (const [alg, options] of ALGORITHMS) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { ...options, extractable: true });
    const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
    keys.push({ ...(await exportJWK(privateKey)), kid, alg, use: 'sig' });
  }
  return keys;
}

function clientMetadata(input: Parameters<typeof parseClientInput>[0]) {
  return { ...parseClientInput(input).metadata, client_id: randomBytes(16).toString('hex'), client_secret: randomBytes(32).toString('base64url') };
}

export async function startBareTarget(spec: TargetSpec): Promise<{ ready: TargetReady; stop(): Promise<void> }> {
  const settings = loadSettings();
  const ttl = settings.ttlSeconds;
  const machine = clientMetadata(machineClientInput(true));
  const web = clientMetadata(WEB_CLIENT_INPUT);
  const issuer = `http://127.0.0.1:${spec.port}`;
  const configuration: Configuration = {
    clients: [machine, web] as Configuration['clients'],
    jwks: { keys: (await generateKeys()) as NonNullable<Configuration['jwks']>['keys'] },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    responseTypes: ['code'],
    scopes: ['openid', 'offline_access', 'profile', 'email', JWT_SCOPE],
    claims: { openid: ['sub', 'amr'], profile: ['name', 'given_name', 'family_name', 'updated_at'], email: ['email', 'email_verified'] },
    clientDefaults: { id_token_signed_response_alg: 'RS256', require_auth_time: true },
    rotateRefreshToken: true,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      claimsParameter: { enabled: true },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        getResourceServerInfo(_ctx, resource) {
          if (resource !== JWT_RESOURCE) throw new errors.InvalidTarget();
          const server = RESOURCE_SERVERS[JWT_RESOURCE];
          return { scope: server.scope, audience: resource, accessTokenFormat: 'jwt', jwt: { sign: { alg: server.jwtAlgorithm } } };
        },
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: {
      AccessToken: ttl.accessToken, AuthorizationCode: ttl.authorizationCode, ClientCredentials: ttl.clientCredentials,
      IdToken: ttl.idToken, Interaction: ttl.interaction, Session: settings.sessions.rememberMeSeconds, Grant: ttl.grant, RefreshToken: ttl.refreshToken,
    },
  };
  const provider = new Provider(issuer, configuration);
  const callback = provider.callback();

  // The library's minimum for a sign-in: no page, no password; the account signs in and consents
  // to whatever was asked in one step.
  async function finishInteraction(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    const accountId = 'bench-account';
    const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.startsWith('/interaction/')) {
      finishInteraction(req, res).catch(() => {
        res.statusCode = 400;
        res.end('interaction failed');
      });
      return;
    }
    void callback(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(spec.port, '127.0.0.1', () => resolve());
  });
  return {
    ready: {
      type: 'ready',
      url: issuer,
      storage: 'in-memory',
      machine: { clientId: machine.client_id, clientSecret: machine.client_secret },
      web: { clientId: web.client_id, clientSecret: web.client_secret },
      users: Array.from({ length: USER_COUNT }, (_, index) => ({ email: userEmail(index), password: USER_PASSWORD })),
      jwtResource: JWT_RESOURCE,
      hasLoginPages: false,
      listeningRssMiB: process.memoryUsage.rss() / 2 ** 20,
    },
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
