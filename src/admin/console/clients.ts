// Clients: the list, registering one (its secret shown once, on the answer to the form), and one
// client's page with its settings form. Changing, rotating and deleting are in client-actions.ts.
import { formOf } from '../../http/body.js';
import { ValidationError } from '../../errors.js';
import type { FormProblems } from '../../http/form-problems.js';
import { ADMIN_CONSOLE_PATHS as PATHS, adminConsolePath } from '../../paths.js';
import { CLIENT_GRANTS, type ClientService } from '../../services/clients.js';
import { clientActorOf } from './client-actions.js';
import {
  clientFormValuesFromMetadata, clientFormValuesOf, clientInputOf, clientProblemsOf, EMPTY_CLIENT_FORM, noProblems,
  type ClientField, type ClientFormValues,
} from './client-form.js';
import { paramOf, queryText, type ConsoleContext, type ConsolePages, type ConsoleStep } from './state.js';

const LIST_NOTICES: Record<string, string> = { deleted: 'The client was deleted, with every grant and token it held.' };
const CLIENT_NOTICES: Record<string, string> = { saved: 'The settings were saved.' };

function clientPath(clientId: string, path: string = PATHS.client): string {
  return adminConsolePath(path, { id: clientId });
}

function noticeOf(ctx: ConsoleContext, notices: Record<string, string>): string | undefined {
  const key = queryText(ctx, 'notice', 16);
  return Object.hasOwn(notices, key) ? notices[key] : undefined;
}

export function createClientsSteps(deps: { clients: ClientService; pages: ConsolePages }) {
  const { clients, pages } = deps;

  const listClients: ConsoleStep = async function listClients(ctx) {
    const rows = (await clients.list()).map((client) => ({
      clientId: client.clientId,
      name: String(client.metadata.client_name ?? client.clientId),
      kind: client.metadata.token_endpoint_auth_method === 'none' ? 'public' : 'confidential',
      grants: ([] as unknown[]).concat(client.metadata.grant_types ?? []).join(', '),
      createdAt: client.createdAt.toISOString(),
      path: clientPath(client.clientId),
    }));
    await pages.render(ctx, 'clients', 'clients', { title: 'Clients', clients: rows, newPath: PATHS.newClient, notice: noticeOf(ctx, LIST_NOTICES) });
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
      registered = await clients.register(clientInputOf(values), clientActorOf(ctx));
    } catch (error) {
      if (error instanceof ValidationError) return renderClientForm(ctx, values, clientProblemsOf(error), 400);
      throw error;
    }
    // The secret is on this answer only (no-store), never in a URL, a log or the audit trail.
    await pages.render(ctx, 'client-secret', 'clients', {
      title: 'Client registered', clientId: registered.clientId, clientSecret: registered.clientSecret ?? null,
      name: values.name, clientPath: clientPath(registered.clientId), fresh: true, previousUntil: null,
    }, 201);
  };

  /** One client's page; after a refused change, with what was typed and the reason beside its field. */
  async function renderClient(ctx: ConsoleContext, typed?: ClientFormValues, problems?: FormProblems<ClientField>, status = 200): Promise<void> {
    const client = await clients.show(paramOf(ctx, 'id'));
    const stored = clientFormValuesFromMetadata(client.metadata);
    await pages.render(ctx, 'client', 'clients', {
      title: String(client.metadata.client_name ?? client.clientId),
      notice: problems ? undefined : noticeOf(ctx, CLIENT_NOTICES),
      clientId: client.clientId,
      kind: stored.kind,
      hasSecret: client.hasSecret,
      createdAt: client.createdAt.toISOString(),
      // The type is fixed at registration: the form shows the stored one whatever was posted.
      values: typed ? { ...typed, kind: stored.kind } : stored,
      errors: problems?.summary ?? [], fieldErrors: problems?.fields ?? {}, grants: CLIENT_GRANTS,
      paths: { rotate: clientPath(client.clientId, PATHS.rotateSecret), remove: clientPath(client.clientId, PATHS.deleteClient), self: clientPath(client.clientId) },
    }, status);
  }

  const showClient: ConsoleStep = async function showClient(ctx) {
    await renderClient(ctx);
  };

  return { listClients, showNewClient, createClient, showClient, renderClient };
}
