// Changing a registered client: its settings, a new secret (the old one keeps working for the
// configured overlap, so the app can be redeployed), and deleting it with every grant and token it
// holds. Rotating and deleting go through a confirmation page; deleting asks for the client's name
// to be typed. The client service audits each change, naming the admin.
import { ConflictError, ValidationError } from '../../errors.js';
import { formOf } from '../../http/body.js';
import { requestMeta } from '../../http/request-meta.js';
import { ADMIN_CONSOLE_PATHS as PATHS, adminConsolePath } from '../../paths.js';
import type { ClientActor, ClientService } from '../../services/clients.js';
import { clientFormValuesOf, clientInputOf, clientProblemsOf, type ClientField } from './client-form.js';
import type { FormProblems } from '../../http/form-problems.js';
import { byAdmin, paramOf, redirectTo, type ConsoleContext, type ConsolePages, type ConsoleStep } from './state.js';

type ShowClient = (ctx: ConsoleContext, values?: ReturnType<typeof clientFormValuesOf>, problems?: FormProblems<ClientField>, status?: number) => Promise<void>;

export function clientActorOf(ctx: ConsoleContext): ClientActor {
  const origin = requestMeta(ctx);
  return { ...byAdmin(ctx), ip: origin.ip, userAgent: origin.userAgent };
}

function nameOf(metadata: Record<string, unknown>, clientId: string): string {
  return typeof metadata.client_name === 'string' ? metadata.client_name : clientId;
}

export function createClientActionSteps(deps: { clients: ClientService; pages: ConsolePages; renderClient: ShowClient }) {
  const { clients, pages, renderClient } = deps;

  const updateClient: ConsoleStep = async function updateClient(ctx) {
    const clientId = paramOf(ctx, 'id');
    await clients.show(clientId);
    const values = clientFormValuesOf(formOf(ctx));
    // The type is fixed at registration; the service refuses a patch that names it.
    const input = { ...clientInputOf(values) };
    delete input.public;
    try {
      // An emptied optional field is removed (null), not left as it was.
      await clients.update(clientId, {
        ...input, scope: input.scope ?? null, backchannelLogoutUri: input.backchannelLogoutUri ?? null,
      }, clientActorOf(ctx));
    } catch (error) {
      if (error instanceof ValidationError) return renderClient(ctx, values, clientProblemsOf(error), 400);
      throw error;
    }
    redirectTo(ctx, `${adminConsolePath(PATHS.client, { id: clientId })}?notice=saved`);
  };

  async function renderConfirm(ctx: ConsoleContext, kind: 'rotate' | 'delete', error?: string): Promise<void> {
    const client = await clients.show(paramOf(ctx, 'id'));
    const name = nameOf(client.metadata, client.clientId);
    const rotate = kind === 'rotate';
    await pages.render(ctx, 'confirm', 'clients', {
      title: rotate ? 'Rotate the client secret?' : 'Delete this client?',
      subject: name,
      explain: rotate
        ? 'A new secret is made and shown once. The current secret keeps working for a short overlap (clients.secretRotationOverlapSeconds) so you can deploy the new one; after that only the new secret is accepted.'
        : 'The client is deleted, and every grant and token it holds is revoked: people signed in to the app through Gatehouse are signed out of it. This cannot be undone.',
      button: rotate ? 'Rotate the secret' : 'Delete the client for good',
      typed: rotate ? null : name,
      action: adminConsolePath(rotate ? PATHS.rotateSecret : PATHS.deleteClient, { id: client.clientId }),
      cancelPath: adminConsolePath(PATHS.client, { id: client.clientId }),
      error: error ?? null,
    }, error ? 400 : 200);
  }

  const confirmRotate: ConsoleStep = async function confirmRotate(ctx) {
    await renderConfirm(ctx, 'rotate');
  };

  const confirmDelete: ConsoleStep = async function confirmDelete(ctx) {
    await renderConfirm(ctx, 'delete');
  };

  const rotateSecret: ConsoleStep = async function rotateSecret(ctx) {
    const clientId = paramOf(ctx, 'id');
    if (formOf(ctx).get('confirmed') !== 'yes') return redirectTo(ctx, adminConsolePath(PATHS.rotateSecret, { id: clientId }));
    const client = await clients.show(clientId);
    const rotated = await clients.rotateSecret(clientId, clientActorOf(ctx));
    // The new secret is on this answer only (no-store), never in a URL, a log or the audit trail.
    await pages.render(ctx, 'client-secret', 'clients', {
      title: 'New client secret', clientId, clientSecret: rotated.clientSecret, name: nameOf(client.metadata, clientId), fresh: false,
      previousUntil: rotated.previousSecretExpiresAt?.toISOString() ?? null,
      clientPath: adminConsolePath(PATHS.client, { id: clientId }),
    });
  };

  const deleteClient: ConsoleStep = async function deleteClient(ctx) {
    const clientId = paramOf(ctx, 'id');
    const form = formOf(ctx);
    if (form.get('confirmed') !== 'yes') return redirectTo(ctx, adminConsolePath(PATHS.deleteClient, { id: clientId }));
    const client = await clients.show(clientId);
    const name = nameOf(client.metadata, clientId);
    if ((form.get('confirmation') ?? '').trim() !== name) return renderConfirm(ctx, 'delete', `Type the client's name, ${name}, exactly to confirm.`);
    try {
      await clients.delete(clientId, clientActorOf(ctx));
    } catch (error) {
      if (error instanceof ConflictError) return renderConfirm(ctx, 'delete', error.message);
      throw error;
    }
    redirectTo(ctx, `${PATHS.clients}?notice=deleted`);
  };

  return { updateClient, confirmRotate, rotateSecret, confirmDelete, deleteClient };
}
