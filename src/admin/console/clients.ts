// Clients: the list, registering one (its secret shown once, on the answer to the form), and one
// client's settings.
import { formOf } from '../../http/body.js';
import { requestMeta } from '../../http/request-meta.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { ADMIN_CONSOLE_PATHS as PATHS, adminConsolePath } from '../../paths.js';
import type { AuditLog } from '../../services/audit.js';
import { CLIENT_GRANTS, type createClientService } from '../../services/clients.js';
import {
  clientFormValuesFromMetadata, clientFormValuesOf, clientInputOf, clientProblemsOf, EMPTY_CLIENT_FORM, noProblems,
  type ClientField, type ClientFormValues,
} from './client-form.js';
import type { FormProblems } from '../../http/form-problems.js';
import { byAdmin, paramOf, type ConsoleContext, type ConsolePages, type ConsoleStep } from './state.js';

type ClientService = ReturnType<typeof createClientService>;

export interface ClientsStepsDeps {
  clients: ClientService;
  audit: AuditLog;
  pages: ConsolePages;
}

function clientPath(clientId: string, path: string = PATHS.client): string {
  return adminConsolePath(path, { id: clientId });
}

export function createClientsSteps(deps: ClientsStepsDeps) {
  const { clients, audit, pages } = deps;

  async function findClient(clientId: string) {
    const found = (await clients.list()).find((client) => client.clientId === clientId);
    if (!found) throw new NotFoundError(`There is no client ${clientId.slice(0, 64)}.`);
    return found;
  }

  const listClients: ConsoleStep = async function listClients(ctx) {
    const rows = (await clients.list()).map((client) => ({
      clientId: client.clientId,
      name: String(client.metadata.client_name ?? client.clientId),
      kind: client.metadata.token_endpoint_auth_method === 'none' ? 'public' : 'confidential',
      grants: ([] as unknown[]).concat(client.metadata.grant_types ?? []).join(', '),
      createdAt: client.createdAt.toISOString(),
      path: clientPath(client.clientId),
    }));
    await pages.render(ctx, 'clients', 'clients', { title: 'Clients', clients: rows, newPath: PATHS.newClient });
  };

  async function renderClientForm(ctx: ConsoleContext, values: ClientFormValues, problems: FormProblems<ClientField>, status: number): Promise<void> {
    await pages.render(ctx, 'client-new', 'clients', {
      title: 'New client', values, errors: problems.summary, fieldErrors: problems.fields, grants: CLIENT_GRANTS, action: PATHS.newClient,
    }, status);
  }

  const showNewClient: ConsoleStep = async function showNewClient(ctx) {
    await renderClientForm(ctx, EMPTY_CLIENT_FORM, noProblems(), 200);
  };

  const createClient: ConsoleStep = async function createClient(ctx) {
    const values = clientFormValuesOf(formOf(ctx));
    let registered;
    try {
      registered = await clients.register(clientInputOf(values));
    } catch (error) {
      if (error instanceof ValidationError) return renderClientForm(ctx, values, clientProblemsOf(error), 400);
      throw error;
    }
    await audit.record({
      type: 'admin.client_changed', outcome: 'success', clientId: registered.clientId, ...requestMeta(ctx),
      detail: { action: 'created', ...byAdmin(ctx) },
    });
    // The secret is on this answer only (no-store), never in a URL, a log or the audit trail.
    await pages.render(ctx, 'client-secret', 'clients', {
      title: 'Client registered', clientId: registered.clientId, clientSecret: registered.clientSecret ?? null,
      name: values.name, clientPath: clientPath(registered.clientId), fresh: true,
    }, 201);
  };

  const showClient: ConsoleStep = async function showClient(ctx) {
    const client = await findClient(paramOf(ctx, 'id'));
    await pages.render(ctx, 'client', 'clients', {
      title: String(client.metadata.client_name ?? client.clientId),
      clientId: client.clientId,
      hasSecret: client.hasSecret,
      createdAt: client.createdAt.toISOString(),
      values: clientFormValuesFromMetadata(client.metadata),
      errors: [], fieldErrors: {}, grants: CLIENT_GRANTS,
      paths: { rotate: clientPath(client.clientId, PATHS.rotateSecret), remove: clientPath(client.clientId, PATHS.deleteClient), self: clientPath(client.clientId) },
    });
  };

  return { listClients, showNewClient, createClient, showClient };
}
