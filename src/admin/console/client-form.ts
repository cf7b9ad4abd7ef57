// The client form, shared by "new client" and "edit client": what the admin typed, read back as the
// client service's input, and a stored client shown in the form again. The service checks every
// rule (redirect URIs, grants, scopes); its one-line reason is placed beside the field it names.
import { formProblem, noProblems, type FormProblems } from '../../http/form-problems.js';
import { ValidationError } from '../../errors.js';
import { CLIENT_GRANTS, DEFAULT_CLIENT_SCOPE, type ClientInput } from '../../services/clients.js';

export const CLIENT_FIELDS = [
  'name', 'kind', 'redirectUris', 'postLogoutRedirectUris', 'grants', 'scope', 'requirePkce', 'backchannelLogoutUri', 'backchannelLogoutSessionRequired',
  'visibleRoles', 'requiredRoles', 'requiredGroups', 'serviceRoles', 'firstParty',
] as const;
export type ClientField = (typeof CLIENT_FIELDS)[number];

/** The form as the page shows it: text as typed, lists one per line, checkboxes as booleans. */
export interface ClientFormValues {
  name: string;
  kind: 'confidential' | 'public';
  redirectUris: string;
  postLogoutRedirectUris: string;
  grants: string[];
  scope: string;
  requirePkce: boolean;
  backchannelLogoutUri: string;
  backchannelLogoutSessionRequired: boolean;
  /** Role or group names, separated by commas or spaces; empty for no limit. */
  visibleRoles: string;
  requiredRoles: string;
  requiredGroups: string;
  /** A service account's roles (client_credentials only), separated like the lists above; empty for none. */
  serviceRoles: string;
  /** An app of the same organisation: no consent page. */
  firstParty: boolean;
}

// The service names fields as RFC 7591 does; the form's ids differ.
const FIELD_OF_SERVICE_NAME: Record<string, ClientField> = {
  client_name: 'name', redirect_uris: 'redirectUris', post_logout_redirect_uris: 'postLogoutRedirectUris', grant_types: 'grants',
  scope: 'scope', public: 'kind', require_pkce: 'requirePkce', backchannel_logout_uri: 'backchannelLogoutUri',
  backchannel_logout_session_required: 'backchannelLogoutSessionRequired',
  visible_roles: 'visibleRoles', required_roles: 'requiredRoles', required_groups: 'requiredGroups', service_roles: 'serviceRoles',
  first_party: 'firstParty',
};

const MAX_TEXT = 20_000;

export const EMPTY_CLIENT_FORM: ClientFormValues = {
  name: '', kind: 'confidential', redirectUris: '', postLogoutRedirectUris: '', grants: ['authorization_code', 'refresh_token'],
  scope: DEFAULT_CLIENT_SCOPE, requirePkce: true, backchannelLogoutUri: '', backchannelLogoutSessionRequired: false,
  visibleRoles: '', requiredRoles: '', requiredGroups: '', serviceRoles: '', firstParty: false,
};

function lines(text: string): string[] {
  return text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
}

function names(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

/** The submitted form's values, each bounded (the service checks them properly). */
export function clientFormValuesOf(form: URLSearchParams): ClientFormValues {
  const text = (name: string) => (form.get(name) ?? '').slice(0, MAX_TEXT);
  return {
    name: text('name'),
    kind: form.get('kind') === 'public' ? 'public' : 'confidential',
    redirectUris: text('redirectUris'),
    postLogoutRedirectUris: text('postLogoutRedirectUris'),
    grants: form.getAll('grants').filter((grant) => (CLIENT_GRANTS as readonly string[]).includes(grant)),
    scope: text('scope'),
    requirePkce: form.get('requirePkce') === 'yes',
    backchannelLogoutUri: text('backchannelLogoutUri').trim(),
    backchannelLogoutSessionRequired: form.get('backchannelLogoutSessionRequired') === 'yes',
    visibleRoles: text('visibleRoles'),
    requiredRoles: text('requiredRoles'),
    requiredGroups: text('requiredGroups'),
    serviceRoles: text('serviceRoles'),
    firstParty: form.get('firstParty') === 'yes',
  };
}

export function clientInputOf(values: ClientFormValues): ClientInput {
  return {
    name: values.name,
    public: values.kind === 'public',
    redirectUris: lines(values.redirectUris),
    postLogoutRedirectUris: lines(values.postLogoutRedirectUris),
    // No box ticked is a choice the service refuses with its own reason.
    grants: values.grants as ClientInput['grants'],
    ...(values.scope.trim() ? { scope: values.scope } : {}),
    requirePkce: values.requirePkce,
    ...(values.backchannelLogoutUri ? { backchannelLogoutUri: values.backchannelLogoutUri } : {}),
    backchannelLogoutSessionRequired: values.backchannelLogoutSessionRequired,
    // An emptied list is no limit (and clears the client's own on an update).
    visibleRoles: names(values.visibleRoles),
    requiredRoles: names(values.requiredRoles),
    requiredGroups: names(values.requiredGroups),
    // Empty clears them: the client is an ordinary one again.
    serviceRoles: names(values.serviceRoles),
    firstParty: values.firstParty,
  };
}

/** A stored client's metadata in the form, to edit. */
export function clientFormValuesFromMetadata(metadata: Record<string, unknown>): ClientFormValues {
  const list = (value: unknown) => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
  return {
    name: typeof metadata.client_name === 'string' ? metadata.client_name : '',
    kind: metadata.token_endpoint_auth_method === 'none' ? 'public' : 'confidential',
    redirectUris: list(metadata.redirect_uris).join('\n'),
    postLogoutRedirectUris: list(metadata.post_logout_redirect_uris).join('\n'),
    grants: list(metadata.grant_types),
    scope: typeof metadata.scope === 'string' ? metadata.scope : '',
    requirePkce: metadata.require_pkce !== false,
    backchannelLogoutUri: typeof metadata.backchannel_logout_uri === 'string' ? metadata.backchannel_logout_uri : '',
    backchannelLogoutSessionRequired: metadata.backchannel_logout_session_required === true,
    visibleRoles: list(metadata.visible_roles).join(', '),
    requiredRoles: list(metadata.required_roles).join(', '),
    requiredGroups: list(metadata.required_groups).join(', '),
    serviceRoles: list(metadata.service_roles).join(', '),
    firstParty: metadata.first_party === true,
  };
}

/** A service refusal as form problems: beside its field when the reason names one. */
export function clientProblemsOf(error: ValidationError): FormProblems<ClientField> {
  const match = /^([a-z_]+)(?:\.\d+)?: (.*)$/s.exec(error.message);
  const field = match ? FIELD_OF_SERVICE_NAME[match[1]!] : undefined;
  return field ? formProblem(error.message, field) : formProblem<ClientField>(error.message);
}

export { noProblems };
