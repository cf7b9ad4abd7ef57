// Managing OAuth clients: register, show, update, rotate a secret, delete. Input is checked by
// parseClientInput (client-input.ts) before anything is stored, and an update is checked as the
// whole client it makes. Every change is audited naming who made it, never with a secret.
import { randomBytes } from 'node:crypto';
import { safeEqual } from '../crypto/safe-equal.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { BUILT_IN_CLIENT_IDS } from '../paths.js';
import type { Database } from '../storage/db.js';
import { createClientRepository, type ClientMetadata, type ClientSummary } from '../storage/repositories/clients.js';
import { findUndefinedNames } from '../storage/repositories/roles-and-groups.js';
import type { AuditLog } from './audit.js';
import {
  CLIENT_FIELD_NAMES, fieldError, inputFromMetadata, MANAGED_METADATA, parseClientInput, type ClientInput,
} from './client-input.js';
import type { RevokeClientTokens } from './client-revocation.js';

export { CLIENT_GRANTS, DEFAULT_CLIENT_SCOPE, parseClientInput, type ClientInput, type ClientRegistration } from './client-input.js';
export type { ClientSummary };

export interface RegisteredClient {
  clientId: string;
  /** Only for confidential clients; shown once to whoever registered the client. */
  clientSecret?: string;
  /** Stored metadata without client_secret. */
  metadata: ClientMetadata;
}

/** Who changes a client, for the audit row: `admin:<account id>` or `admin-cli`, and from where. */
export interface ClientActor {
  by: string;
  ip?: string | null | undefined;
  userAgent?: string | null | undefined;
}

/** The fields an update may set; null removes an optional one. The type (public or not) is fixed at registration. */
export type ClientPatch = {
  [K in Exclude<keyof ClientInput, 'public'>]?: ClientInput[K] | (undefined extends ClientInput[K] ? null : never);
};

export interface RotatedSecret {
  clientSecret: string;
  /** When the previous secret stops being accepted; undefined when it stopped at once. */
  previousSecretExpiresAt: Date | undefined;
}

export interface ClientServiceDeps {
  database: Database;
  secretBox: SecretBox;
  supportedScopes: readonly string[];
  audit: AuditLog;
  /** Ends the client's grants and tokens when it is deleted. */
  revokeClientTokens: RevokeClientTokens;
  /** Drops the client from this process's caches after a change (the Client adapter's). */
  clientChanged?: (clientId: string) => void;
  /** settings.clients.secretRotationOverlapSeconds. */
  secretRotationOverlapSeconds: number;
  /** settings.ttlSeconds.refreshToken: no client's refresh tokens live longer. */
  maxRefreshTokenTtlSeconds: number;
  /** Milliseconds clock (tests). */
  now?: () => number;
}

export function createClientService(deps: ClientServiceDeps) {
  const repository = createClientRepository(deps);
  const offered = new Set(deps.supportedScopes);
  const now = deps.now ?? Date.now;
  const changed = deps.clientChanged ?? (() => undefined);

  function checkStorable(metadata: ClientMetadata): void {
    // oidc-provider refuses to load a client registered for a scope it does not offer.
    const unknownScope = String(metadata.scope).split(' ').find((scope) => !offered.has(scope));
    if (unknownScope !== undefined) throw fieldError('scope', `"${unknownScope}" is not offered here (offered: ${[...offered].join(' ')})`);
    const refresh = metadata.refresh_token_ttl;
    if (typeof refresh === 'number' && refresh > deps.maxRefreshTokenTtlSeconds) {
      throw fieldError('refresh_token_ttl', `at most ${deps.maxRefreshTokenTtlSeconds} seconds (ttlSeconds.refreshToken)`);
    }
  }

  /**
   * A client that requires a role or group nobody can hold would stop everyone: a typo must be
   * refused, not stored. (visible_roles and service_roles only narrow or label, so they may name
   * roles defined later.)
   */
  async function checkAccessNamesDefined(metadata: ClientMetadata): Promise<void> {
    const listed = (key: string) => (Array.isArray(metadata[key]) ? metadata[key] as string[] : []);
    const roles = listed('required_roles');
    const groups = listed('required_groups');
    const missing = await findUndefinedNames(deps.database, roles, groups);
    if (missing.roles[0] !== undefined) {
      throw fieldError(`required_roles.${roles.indexOf(missing.roles[0])}`, `no role named "${missing.roles[0]}"; define it first`);
    }
    if (missing.groups[0] !== undefined) {
      throw fieldError(`required_groups.${groups.indexOf(missing.groups[0])}`, `no group named "${missing.groups[0]}"; create it first`);
    }
  }

  function refuseBuiltIn(clientId: string): void {
    if (BUILT_IN_CLIENT_IDS.includes(clientId)) throw new ConflictError(`${clientId} is built into Gatehouse and cannot be changed or deleted`);
  }

  async function existing(clientId: string): Promise<ClientSummary> {
    refuseBuiltIn(clientId);
    const found = await repository.findClientSummary(clientId);
    if (!found) throw new NotFoundError(`no client with client_id ${clientId.slice(0, 64)}`);
    return found;
  }

  async function audit(clientId: string, actor: ClientActor, detail: Record<string, string | number>): Promise<void> {
    await deps.audit.record({
      type: 'admin.client_changed', outcome: 'success', clientId, ip: actor.ip ?? null, userAgent: actor.userAgent ?? null,
      detail: { ...detail, by: actor.by },
    });
  }

  /** One client, never with its secret; NotFoundError when there is none. */
  async function show(clientId: string): Promise<ClientSummary> {
    const found = await repository.findClientSummary(clientId);
    if (!found) throw new NotFoundError(`no client with client_id ${clientId.slice(0, 64)}`);
    return found;
  }

  return {
    show,

    async register(input: ClientInput, actor?: ClientActor): Promise<RegisteredClient> {
      const { confidential, metadata } = parseClientInput(input);
      checkStorable(metadata);
      await checkAccessNamesDefined(metadata);
      // Hex, not base64url: an id starting with '-' would read as a flag on a command line.
      const clientId = randomBytes(16).toString('hex');
      const clientSecret = confidential ? randomBytes(32).toString('base64url') : undefined;
      const stored = { ...metadata, client_id: clientId, client_id_issued_at: Math.floor(now() / 1000) };
      await repository.insertClient(clientId, clientSecret ? { ...stored, client_secret: clientSecret } : stored);
      if (actor) await audit(clientId, actor, { action: 'created' });
      return { clientId, ...(clientSecret ? { clientSecret } : {}), metadata: stored };
    },

    /** Every client, never with its secret. */
    list(): Promise<ClientSummary[]> {
      return repository.listClients();
    },

    /** Changes some fields; the resulting client must pass every rule registration applies. */
    async update(clientId: string, patch: ClientPatch, actor: ClientActor): Promise<ClientSummary> {
      if (Object.hasOwn(patch, 'public')) throw fieldError('public', 'a client\'s type cannot change; register a new client');
      if (Object.values(patch).every((value) => value === undefined)) throw fieldError('(body)', 'nothing to change');
      const current = await existing(clientId);
      const merged: Record<string, unknown> = { ...inputFromMetadata(current.metadata) };
      for (const [key, value] of Object.entries(patch)) {
        if (value === null) delete merged[key];
        else if (value !== undefined) merged[key] = value;
      }
      const { metadata } = parseClientInput(merged as ClientInput);
      checkStorable(metadata);
      await checkAccessNamesDefined(metadata);
      // Metadata this service does not manage (set by hand or an import) is kept as it was.
      const kept = Object.fromEntries(Object.entries(current.metadata).filter(([key]) => !(MANAGED_METADATA as readonly string[]).includes(key)));
      const stored = { ...kept, ...metadata, client_id: clientId };
      if (!(await repository.updateMetadata(clientId, stored))) throw new NotFoundError(`no client with client_id ${clientId.slice(0, 64)}`);
      changed(clientId);
      const fields = Object.keys(patch).map((key) => CLIENT_FIELD_NAMES[key as keyof ClientInput] ?? key).sort().join(',');
      await audit(clientId, actor, { action: 'updated', fields });
      return show(clientId);
    },

    /**
     * A new secret, returned only here. The previous one stays valid for
     * secretRotationOverlapSeconds so the app can be redeployed without an outage; 0 stops it at
     * once (what to do when it leaked).
     */
    async rotateSecret(clientId: string, actor: ClientActor): Promise<RotatedSecret> {
      const current = await existing(clientId);
      if (!current.hasSecret) throw new ConflictError(`${clientId} is a public client: it has no secret to rotate`);
      const clientSecret = randomBytes(32).toString('base64url');
      const overlap = deps.secretRotationOverlapSeconds;
      const previousUntil = overlap > 0 ? Math.floor(now() / 1000) + overlap : undefined;
      const replaced = await deps.database.transaction((tx) => createClientRepository({ database: tx, secretBox: deps.secretBox })
        .replaceSecret(clientId, clientSecret, previousUntil));
      if (!replaced) throw new NotFoundError(`no client with client_id ${clientId.slice(0, 64)}`);
      changed(clientId);
      await audit(clientId, actor, { action: 'secret_rotated', overlap_seconds: overlap });
      return { clientSecret, previousSecretExpiresAt: previousUntil === undefined ? undefined : new Date(previousUntil * 1000) };
    },

    /** Deletes the client and revokes every grant and token it holds. */
    async delete(clientId: string, actor: ClientActor): Promise<{ grants: number }> {
      await existing(clientId);
      // Revoked before and after the row goes: the first pass leaves the client in place if a
      // store fails (so the delete can be retried); the second catches what was issued meanwhile.
      const before = await deps.revokeClientTokens(clientId);
      await repository.deleteClient(clientId);
      changed(clientId);
      const after = await deps.revokeClientTokens(clientId);
      await audit(clientId, actor, { action: 'deleted', grants: before.grants + after.grants });
      return { grants: before.grants + after.grants };
    },

    /**
     * Whether `presented` is the client's stored secret, or its previous one before that expires.
     * Read from storage, not a cache: a secret rotated on another node works here at once. Both
     * comparisons always run, each in constant time (ASVS 5.0 V11.7).
     */
    async acceptsSecret(clientId: string, presented: string): Promise<boolean> {
      const secrets = await repository.findSecrets(clientId);
      if (!secrets) return false;
      const current = secrets.current !== undefined && safeEqual(secrets.current, presented);
      const previous = secrets.previous !== undefined && secrets.previous.expiresAt * 1000 > now()
        && safeEqual(secrets.previous.secret, presented);
      return current || previous;
    },
  };
}

export type ClientService = ReturnType<typeof createClientService>;
