// The admin API's OpenAPI 3.1 document, built from the routes as they are declared (operations.ts),
// so what it describes is what answers. Served without a token at /admin/api/openapi.json: it
// holds no data, only the shape of the API, and tools read it before they have a token.
import { z } from 'zod';
import { ADMIN_API_PATH, ADMIN_SCOPE } from '../../paths.js';
import type { RecordedOperation } from './operations.js';

const errorSchema = {
  type: 'object',
  required: ['error', 'error_description'],
  properties: {
    error: { type: 'string', description: 'a short code: invalid_input, not_found, invalid_token, insufficient_scope, …' },
    error_description: { type: 'string', description: 'what went wrong, in words' },
    fields: { type: 'object', additionalProperties: { type: 'string' }, description: 'for invalid_input: each bad field and what is wrong with it' },
  },
};

const COMMON_ANSWERS: Record<number, string> = {
  400: 'the input was refused; `fields` says why, field by field',
  401: 'no admin access token, or one that is unknown, expired or revoked',
  403: 'the token lacks the admin scope, or its account does not hold the admin role',
  429: 'too many requests; retry after the Retry-After header\'s seconds',
  503: 'storage is unavailable; retry after the Retry-After header\'s seconds',
};

function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const jsonSchema = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete jsonSchema.$schema;
  return jsonSchema;
}

/** `/users/:id` → `/users/{id}` (OpenAPI path templating). */
export function openApiPath(koaPath: string): string {
  return koaPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parametersOf(entry: RecordedOperation): unknown[] {
  const inPath = [...entry.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => ({
    name: match[1], in: 'path', required: true, schema: { type: 'string' },
  }));
  const query = entry.operation.query ? jsonSchemaOf(entry.operation.query, 'input') : undefined;
  const properties = (query?.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((query?.required ?? []) as string[]);
  const inQuery = Object.entries(properties).map(([name, schema]) => ({
    name, in: 'query', required: required.has(name), schema, ...(schema.description ? { description: schema.description } : {}),
  }));
  return [...inPath, ...inQuery];
}

function operationObject(entry: RecordedOperation): Record<string, unknown> {
  const { operation } = entry;
  const success = operation.success ?? { description: 'done' };
  const responses: Record<string, unknown> = {
    [String(success.status ?? 200)]: {
      description: success.description,
      ...(success.schema ? { content: { 'application/json': { schema: jsonSchemaOf(success.schema, 'output') } } } : {}),
    },
  };
  const answers = { ...COMMON_ANSWERS, ...(entry.path.includes(':') ? { 404: 'nothing has that id' } : {}), ...operation.responses };
  for (const [status, description] of Object.entries(answers)) {
    if (status === '400' && !operation.body && !operation.query) continue;
    responses[status] = { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  }
  const parameters = parametersOf(entry);
  return {
    operationId: `${entry.method}${openApiPath(entry.path).replace(/[{}]/g, '').split('/').map((part) => part.replace(/(^|[-_])(\w)/g, (_m, _s, c: string) => c.toUpperCase())).join('')}`,
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    tags: [operation.tag],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(operation.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchemaOf(operation.body, 'input') } } } } : {}),
    responses,
  };
}

export function buildOpenApiDocument(issuer: string, operations: readonly RecordedOperation[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const entry of operations) {
    const path = openApiPath(entry.path);
    paths[path] = { ...paths[path], [entry.method]: operationObject(entry) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse management API',
      version,
      description: 'Manage clients, users, sessions, the audit trail, back-channel logout deliveries and signing keys. '
        + `Every route needs an access token issued for the resource ${issuer}${ADMIN_API_PATH} with the "${ADMIN_SCOPE}" scope, `
        + 'of an account that holds the admin role. Every change is written to the audit trail with the admin\'s id.',
    },
    servers: [{ url: `${issuer}${ADMIN_API_PATH}` }],
    security: [{ adminToken: [ADMIN_SCOPE] }],
    components: {
      securitySchemes: {
        adminToken: {
          type: 'oauth2',
          description: `Authorization code flow with PKCE, resource=${issuer}${ADMIN_API_PATH}`,
          flows: { authorizationCode: { authorizationUrl: `${issuer}/auth`, tokenUrl: `${issuer}/token`, scopes: { [ADMIN_SCOPE]: 'manage this Gatehouse' } } },
        },
      },
      schemas: { Error: errorSchema },
    },
    paths,
  };
}
