/**
 * One error family for everything the task reports. Each error renders as one actionable line:
 * what failed, what the service said (status, code, correlation id) and what to do about it.
 */

export type ErrorKind = 'input' | 'service' | 'conflict';

export interface ErrorFacts {
  /** What the task was doing, e.g. "create the managed identity 'id-app1-dev'". */
  operation?: string;
  status?: number;
  /** The service's own error code: ARM `error.code`, an AADSTS number, an Azure DevOps typeKey. */
  code?: string;
  correlationId?: string;
  /** What the user can do; filled from the hint table when not given. */
  hint?: string;
}

export abstract class TaskError extends Error {
  abstract readonly kind: ErrorKind;
  readonly operation?: string;
  readonly status?: number;
  readonly code?: string;
  readonly correlationId?: string;
  readonly hint?: string;

  constructor(message: string, facts: ErrorFacts = {}) {
    super(message);
    this.name = new.target.name;
    this.operation = facts.operation;
    this.status = facts.status;
    this.code = facts.code;
    this.correlationId = facts.correlationId;
    this.hint = facts.hint ?? hintFor(facts.code, facts.status);
  }

  /** The single line the task fails with. */
  describe(): string {
    const what = this.operation ? `Could not ${this.operation}: ${this.message}` : this.message;
    const facts = [
      this.status !== undefined ? `HTTP ${this.status}` : undefined,
      this.code,
      this.correlationId ? `correlation id ${this.correlationId}` : undefined,
    ].filter(Boolean);
    const withFacts = facts.length > 0 ? `${what} (${facts.join(', ')})` : what;
    return oneLine(this.hint ? `${withFacts}. ${this.hint}` : withFacts);
  }
}

/** A task input is missing or malformed; raised before any network call. */
export class InputError extends TaskError {
  readonly kind = 'input';
  constructor(readonly input: string, problem: string) {
    super(`Input '${input}' ${problem}`);
  }
}

/** A service refused or failed a request. */
export class ServiceError extends TaskError {
  readonly kind = 'service';
}

/** What exists conflicts with what was asked, and the task will not overwrite it. */
export class ConflictError extends TaskError {
  readonly kind = 'conflict';
}

const TLS_UNTRUSTED =
  "The server's certificate is not trusted; when a proxy inspects TLS, configure the agent with its CA certificate (config.sh --sslcacert, which sets Agent.CAInfo)";
const PROXY_REFUSED = "The agent's proxy refused its credentials; reconfigure the agent's proxy user name and password (config.sh --proxyusername, --proxypassword)";

/**
 * Known failures and the sentence a platform engineer needs. Keys are service error codes
 * (ARM `error.code`, `AADSTS<n>`, Azure DevOps `typeKey`) or `HTTP<status>@<service>`.
 */
const HINTS: Record<string, string> = {
  AuthorizationFailed:
    'Grant the bootstrap connection\'s identity a role that allows this action on the scope: Contributor to create identities, and Role Based Access Control Administrator or User Access Administrator to assign roles',
  AADSTS70021:
    'The federated credential does not match the token\'s issuer and subject; copy them again from the service connection (re-running this task does that)',
  AADSTS700213:
    'The federated credential\'s subject does not match the token (subjects are case-sensitive); re-run this task to copy the subject from the service connection again',
  AADSTS7000222: 'The bootstrap connection\'s client secret has expired; renew it in Entra ID and update the service connection',
  AADSTS7000215: 'The bootstrap connection\'s client secret is wrong; update the service connection with a valid secret',
  AADSTS700027:
    'The bootstrap connection\'s certificate is not (or no longer) registered on its app registration; upload the certificate\'s public part to the app in Entra ID, or update the service connection with the registered certificate and key',
  AADSTS700016:
    'The bootstrap connection\'s application id is not known in this tenant; check the service principal id and tenant id of the bootstrap connection',
  AADSTS500011: 'The resource is not known in this tenant; check the cloud (environment) of the bootstrap connection',
  InvalidAuthenticationToken: 'The token was issued for another cloud or audience; check the bootstrap connection\'s environment',
  PrincipalNotFound: 'The new identity has not replicated in Entra ID yet; re-run the task in a few minutes',
  Authorization_RequestDenied:
    'Grant the bootstrap connection\'s application the Microsoft Graph application permission Application.ReadWrite.OwnedBy (it then manages the applications it creates) or Application.ReadWrite.All, with admin consent; with OwnedBy alone, an application someone else created must list it as an owner',
  Request_ResourceNotFound: 'Microsoft Graph has not replicated the new application yet; re-run the task in a few minutes',
  RoleDefinitionNotFound: 'Use the exact name of a built-in or custom role that is assignable at this scope, e.g. Contributor',
  ResourceGroupNotFound: 'Create the resource group first, or correct its name',
  SubscriptionNotFound: 'Check the subscription id, and that the bootstrap connection\'s identity can read that subscription',
  ProjectDoesNotExistWithNameException: 'Check the project name or id, and that the pipeline\'s identity can see it',
  DuplicateServiceConnectionException: 'Pick another connection name, or set existingConnection to reuse',
  ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity:
    'Another run is writing credentials on the same identity; re-run the task',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: TLS_UNTRUSTED,
  SELF_SIGNED_CERT_IN_CHAIN: TLS_UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: TLS_UNTRUSTED,
  DEPTH_ZERO_SELF_SIGNED_CERT: TLS_UNTRUSTED,
  'HTTP407@arm': PROXY_REFUSED,
  'HTTP407@entra': PROXY_REFUSED,
  'HTTP407@devops': PROXY_REFUSED,
  'HTTP401@devops':
    'Azure DevOps refused the credential of devOpsAuth: for jobAccessToken allow scripts to access the OAuth token and check that the job\'s authorization scope covers the target project; for bootstrapIdentity add the bootstrap connection\'s identity to the organization as a user; for personalAccessToken renew the token, for this organization, with the scope Service Connections (Read, query & manage)',
  'HTTP403@devops':
    'Give the identity of devOpsAuth (the pipeline\'s build service identity for jobAccessToken, the bootstrap connection\'s identity for bootstrapIdentity, the token\'s owner for personalAccessToken) the Creator role on service connections in the project (Administrator to update an existing one)',
};

export function hintFor(code?: string, status?: number, service?: string): string | undefined {
  if (code && HINTS[code]) return HINTS[code];
  if (status && service) return HINTS[`HTTP${status}@${service}`];
  return undefined;
}

/** Service data can hold anything: keep the failure to one line and never let it carry a log command. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').replace(/##vso\[/gi, '##vso_[').trim();
}
