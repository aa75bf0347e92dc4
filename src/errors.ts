/**
 * One error family for everything the task reports. Each error renders as one actionable line:
 * what failed, what the service said (status, code, correlation id) and what to do about it.
 */

export interface ErrorFacts {
  /** What the task was doing, e.g. "create the managed identity 'id-app1-dev'". */
  operation?: string;
  status?: number;
  /** The service's own error code: ARM `error.code`, an AADSTS number, an Azure DevOps typeKey. */
  code?: string;
  correlationId?: string;
  /** What the user can do; filled from the hint table when not given. */
  hint?: Hint;
  /** How long the service asked the caller to wait before trying again (Retry-After), in ms. */
  retryAfterMs?: number;
  /** The input (and its line, for a multi-line input) whose value the failing call came from. */
  source?: InputSource;
}

/** Which input a value came from: roleDefinitionName, or a line of roleAssignments. */
export interface InputSource {
  name: string;
  line?: number;
}

/**
 * Where a run comes from, which decides the words of a fix: the pipeline task (the agent's settings and the
 * bootstrap service connection) or the command line (environment variables and the person's sign-in).
 */
export type RunContext = 'task' | 'commandLine';

/** What to do: one sentence for every run, or the words for each context where the fix differs. */
export type Hint = string | Record<RunContext, string>;

/** A hint in the words of a context. */
export function hintIn(hint: Hint | undefined, context: RunContext): string | undefined {
  return typeof hint === 'string' || hint === undefined ? hint : hint[context];
}

export abstract class TaskError extends Error {
  readonly operation?: string;
  readonly status?: number;
  readonly code?: string;
  readonly correlationId?: string;
  /** The hint in the task's words (describe picks the words of the run's context). */
  readonly hint?: string;
  readonly retryAfterMs?: number;
  /** The input the failing call came from; the line then starts with it. */
  readonly source?: InputSource;
  private readonly hints?: Hint;

  constructor(message: string, facts: ErrorFacts = {}) {
    super(message);
    this.name = new.target.name;
    this.operation = facts.operation;
    this.status = facts.status;
    this.code = facts.code;
    this.correlationId = facts.correlationId;
    this.hints = facts.hint ?? hintsFor(facts.code, facts.status);
    this.hint = hintIn(this.hints, 'task');
    this.retryAfterMs = facts.retryAfterMs;
    this.source = facts.source;
  }

  /** The facts of this error, for an error made from it (its hint in every context's words). */
  toFacts(): ErrorFacts {
    const { operation, status, code, correlationId, retryAfterMs } = this;
    return { operation, status, code, correlationId, retryAfterMs, hint: this.hints, source: this.source };
  }

  /** The same failure, naming the input the failing call came from (kept when it names one already). */
  about(source: InputSource, hint?: Hint): TaskError {
    if (this.source || this instanceof InputError) return this;
    return new ServiceError(this.message, { ...this.toFacts(), source, ...(hint ? { hint } : {}) });
  }

  /** The single line a run fails with, its fix in the words of where the run comes from. */
  describe(context: RunContext = 'task'): string {
    // Every line names the input a failing call came from, first; an InputError's message starts with it.
    const source = this.source ? `Input '${this.source.name}'${this.source.line ? ` line ${this.source.line}` : ''}: ` : '';
    const what = `${source}${this.operation ? `Could not ${this.operation}: ${this.message}` : this.message}`;
    const facts = [
      this.status !== undefined ? `HTTP ${this.status}` : undefined,
      this.code,
      this.correlationId ? `correlation id ${this.correlationId}` : undefined,
    ].filter(Boolean);
    const withFacts = facts.length > 0 ? `${what} (${facts.join(', ')})` : what;
    const hint = hintIn(this.hints, context);
    return oneLine(hint ? `${withFacts}. ${hint}` : withFacts);
  }
}

/** A task input is missing or malformed; raised before any network call. */
export class InputError extends TaskError {
  constructor(
    readonly input: string,
    problem: string,
  ) {
    super(`Input '${input}' ${problem}`);
  }
}

/** A service refused or failed a request. */
export class ServiceError extends TaskError {}

/**
 * The bootstrap connection could not sign in: its credential in Entra ID (which this task does not manage)
 * does not match. Named by the connection's id until main.ts has looked its name up.
 */
export class BootstrapSignInError extends ServiceError {
  constructor(
    readonly connection: string,
    readonly serviceWords: string,
    private readonly facts: ErrorFacts,
  ) {
    super(`The bootstrap connection '${connection}' could not sign in to Entra ID: ${serviceWords}`, facts);
  }

  /** The same failure, naming the connection by its name. */
  named(name: string): BootstrapSignInError {
    return new BootstrapSignInError(name, this.serviceWords, this.facts);
  }
}

/** What exists conflicts with what was asked, and the task will not overwrite it. */
export class ConflictError extends TaskError {}

/** The preflight found that a write this run needs is not allowed; raised before that write. */
export class PermissionError extends TaskError {}

const TLS_UNTRUSTED: Hint = {
  task: "The server's certificate is not trusted; when a proxy inspects TLS, configure the agent with its CA certificate (config.sh --sslcacert, which sets Agent.CAInfo)",
  commandLine:
    "The server's certificate is not trusted; when a proxy inspects TLS, set NODE_EXTRA_CA_CERTS to a PEM file holding its CA certificate (Node reads it at start), then run the command again",
};
const PROXY_REFUSED: Hint = {
  task: "The agent's proxy refused its credentials; reconfigure the agent's proxy user name and password (config.sh --proxyusername, --proxypassword)",
  commandLine: 'The proxy refused its credentials; put the right user name and password in HTTPS_PROXY (http://user:password@host:port, percent-encoded)',
};

/**
 * Known failures and the sentence a platform engineer needs. Keys are service error codes
 * (ARM `error.code`, `AADSTS<n>`, Azure DevOps `typeKey`) or `HTTP<status>@<service>`.
 */
const HINTS: Record<string, Hint> = {
  AuthorizationFailed:
    "Grant the bootstrap connection's identity a role that allows this action on the scope: Managed Identity Contributor (or Contributor) on the identity's resource group to create identities and federated credentials, and Role Based Access Control Administrator or User Access Administrator (or Owner) on the role scope to assign roles",
  AADSTS70021:
    "The federated credential does not match the token's issuer and subject; copy them again from the service connection (re-running this task does that)",
  AADSTS700213:
    "No federated credential of the bootstrap connection's identity has the subject of the pipeline's token: on that identity set the subject to the bootstrap connection's 'Subject identifier' shown on its Azure DevOps page (exact, case-sensitive); for a connection this task made, re-run the task, which copies it again",
  // Today's federation codes (tests/fixtures/recordings/entra-token-fic-mismatch.json). The task signs in only
  // as the bootstrap connection: the fix is on the bootstrap's identity; a connection this task made is
  // repaired by re-running it (it copies issuer and subject again).
  AADSTS700211:
    "No federated credential of the bootstrap connection's identity has the issuer of the pipeline's token: on that identity (Entra ID app registration → Certificates & secrets → Federated credentials, or the managed identity's Federated credentials) set the issuer to the bootstrap connection's 'Issuer' shown on its Azure DevOps page (exact, case-sensitive); for a connection this task made, re-run the task, which copies it again",
  AADSTS70025:
    "The bootstrap connection's identity has no federated credential: add one on that identity with the issuer and subject shown on the bootstrap connection's Azure DevOps page (audience api://AzureADTokenExchange); for a connection this task made, re-run the task, which adds it",
  AADSTS700024: "The pipeline's OIDC token is outside its validity window; check the agent's clock and re-run the task",
  AADSTS7000222: {
    task: "The bootstrap connection's client secret has expired; renew it in Entra ID and update the service connection",
    commandLine: 'The client secret in AZURE_CLIENT_SECRET has expired; create a new secret for the application AZURE_CLIENT_ID names, in Entra ID, and set it',
  },
  AADSTS7000215: {
    task: "The bootstrap connection's client secret is wrong; update the service connection with a valid secret",
    commandLine: 'The client secret in AZURE_CLIENT_SECRET is wrong; set it to a valid secret of the application AZURE_CLIENT_ID names',
  },
  AADSTS700027: {
    task: "The bootstrap connection's certificate is not (or no longer) registered on its app registration; upload the certificate's public part to the app in Entra ID, or update the service connection with the registered certificate and key",
    commandLine:
      'The certificate in AZURE_CLIENT_CERTIFICATE_PATH is not (or no longer) registered on the application AZURE_CLIENT_ID names; upload its public part to that app in Entra ID, or point the variable at the registered certificate',
  },
  AADSTS700016: {
    task: "The bootstrap connection's application id is not known in this tenant; check the service principal id and tenant id of the bootstrap connection",
    commandLine: 'The application id in AZURE_CLIENT_ID is not known in this tenant; check AZURE_CLIENT_ID, and AZURE_TENANT_ID or tenantId',
  },
  AADSTS90002: "The bootstrap connection's tenant is not known to this cloud; check its tenant id and environment",
  // Entra ID's own transient failure (https://learn.microsoft.com/entra/identity-platform/reference-error-codes):
  // nothing in the request is wrong; the sign-in is what failed, not the call that needed its token.
  AADSTS90033:
    'Entra ID had a transient failure signing in (its service status page says when it is over); re-run the task in a few minutes: it picks up from what exists',
  'HTTP500@entra': 'Entra ID kept failing to sign in; re-run the task in a few minutes: it picks up from what exists',
  'HTTP503@entra': 'Entra ID was unavailable for signing in; re-run the task in a few minutes: it picks up from what exists',
  AADSTS500011: 'The resource is not known in this tenant; check the cloud (environment) of the bootstrap connection',
  InvalidAuthenticationToken: "The token was issued for another cloud or audience; check the bootstrap connection's environment",
  InvalidAuthenticationTokenTenant:
    "The subscription belongs to another Entra tenant than the bootstrap connection; use a bootstrap connection of the subscription's tenant",
  PrincipalNotFound: 'The new identity has not replicated in Entra ID yet; re-run the task in a few minutes, or raise replicationWaitSeconds',
  Authorization_RequestDenied:
    "Grant the bootstrap connection's application the Microsoft Graph application permission Application.ReadWrite.OwnedBy (it then manages the applications it creates) or Application.ReadWrite.All, with admin consent; with OwnedBy alone, an application someone else created must list it as an owner",
  Request_ResourceNotFound: 'Microsoft Graph has not replicated the new application yet; re-run the task in a few minutes, or raise replicationWaitSeconds',
  RoleDefinitionNotFound: 'Use the exact name of a built-in or custom role that is assignable at this scope, e.g. Contributor',
  ResourceGroupNotFound: 'Create the resource group first, or correct its name',
  SubscriptionNotFound: "Check the subscription id, and that the bootstrap connection's identity can read that subscription",
  LocationNotAvailableForResourceType: 'Pick a region that offers user-assigned managed identities, e.g. westeurope, or leave identityLocation empty',
  ProjectDoesNotExistWithNameException: "Check the project name or id, and that the pipeline's identity can see it",
  DuplicateServiceConnectionException:
    "A service connection of that name exists that the pipeline's identity cannot see (hidden connections still hold their names); pick another connectionName, or make the build service identity a User or Administrator of that connection",
  ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity:
    'Another run kept writing federated credentials on the same identity; let it finish, then re-run the task',
  // Verification (src/resources/verification.ts): what Azure DevOps' last refusal means for the new connection.
  'verify:AADSTS700213':
    "Entra ID found no federated credential on the identity with the connection's subject: the credential this run wrote was not accepted within verifyTimeoutSeconds, or it was changed or removed since; re-run the task (it writes the credential again and verifies), or raise verifyTimeoutSeconds",
  'verify:AADSTS70021':
    "Entra ID found no federated credential on the identity for the connection's issuer and subject: Azure DevOps may have moved the connection to a new issuer, or the credential was removed; re-run the task, which adds the credential for the issuer and subject the connection reports now",
  'verify:AADSTS700211':
    "Entra ID found no federated credential on the identity with the connection's issuer: Azure DevOps may have moved the connection to a new issuer; re-run the task, which adds the credential for the issuer and subject the connection reports now",
  'verify:AADSTS700212': "The identity's federated credential does not list the audience api://AzureADTokenExchange; re-run the task to write it again",
  'verify:AADSTS70025':
    'Entra ID sees no federated credential on the identity: the one this run wrote was not accepted within verifyTimeoutSeconds (a new credential can take minutes to propagate), or it was removed since; re-run the task (it writes the credential again and verifies), or raise verifyTimeoutSeconds',
  'verify:AADSTS700016':
    "Entra ID does not know the connection's client id: the identity was deleted, or has not replicated within verifyTimeoutSeconds; re-run the task",
  'verify:AADSTS7000229': "The connection's application has no service principal in the tenant; re-run the task to create it",
  'verify:AADSTS70052': 'The application must be single-tenant (signInAudience AzureADMyOrg) for Azure DevOps tokens; re-run the task to set it back',
  'verify:AuthorizationFailed':
    "Azure Resource Manager does not honour a role for the connection's identity at the connection's scope: the role assignment this run made has not taken effect within verifyTimeoutSeconds, or was removed or is denied; re-run the task later or raise verifyTimeoutSeconds, and check the role assignments at that scope",
  'verify:HTTP403':
    'Azure DevOps refused to verify the connection for the identity of devOpsAuth: give it the User role on the connection (or on all connections of the project), or set verifyConnection to false',
  'verify:HTTP404':
    'Azure DevOps does not show the connection to the identity of devOpsAuth, so it cannot verify it: give that identity the User role on the connection (or on all connections of the project), or set verifyConnection to false',
  'verify:':
    'Azure DevOps could not use the connection; see its answer, fix what it names and re-run the task (it verifies again), or set verifyConnection to false',
  // ConvertAuthenticationScheme (action migrate, src/migration/apply.ts; docs/wire.md, "Migration").
  'convert:refused':
    "Azure DevOps tested the connection with its new issuer and subject and the identity did not accept them; the connection is as it was. Add a federated credential with the issuer and subject the connection's page shows after Convert, or Convert there as a user who owns the application, then re-run",
  'convert:HTTP403':
    'Azure DevOps converts a connection only for an Administrator of it in every project it is shared with: give the identity of devOpsAuth that role on the connection (its Security page), then re-run',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: TLS_UNTRUSTED,
  SELF_SIGNED_CERT_IN_CHAIN: TLS_UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: TLS_UNTRUSTED,
  DEPTH_ZERO_SELF_SIGNED_CERT: TLS_UNTRUSTED,
  'HTTP407@arm': PROXY_REFUSED,
  'HTTP407@entra': PROXY_REFUSED,
  'HTTP407@devops': PROXY_REFUSED,
  'HTTP401@devops': {
    task: "Azure DevOps refused the credential of devOpsAuth: for jobAccessToken the job's access token (System.AccessToken) was rejected or has expired: re-run the job, use this pipeline's organization ($(System.CollectionUri)), allow scripts to access the OAuth token and check that the job's authorization scope covers the target project; for bootstrapIdentity add the bootstrap connection's identity to the organization as a user; for personalAccessToken renew the token, for this organization, with the scope Service Connections (Read, query & manage)",
    commandLine:
      'Azure DevOps refused the credential of devOpsAuth: for bootstrapIdentity (the default) the identity you signed in as must be a user of the organization; for personalAccessToken renew the token in the environment variable devOpsTokenVariable names, for this organization, with the scope Service Connections (Read, query & manage)',
  },
  'HTTP401@devops:unnamed': {
    task: "Azure DevOps accepted the token of devOpsAuth as no one's: it has expired, or was issued for another tenant or organization; re-run the task, which takes fresh tokens (for jobAccessToken re-run the job: its token lives as long as the job)",
    commandLine:
      "Azure DevOps accepted the token as no one's: it has expired, or was issued for another tenant or organization; run the command again, which takes fresh tokens",
  },
  'HTTP403@devops':
    "Give the identity of devOpsAuth (the pipeline's build service identity for jobAccessToken, the bootstrap connection's identity for bootstrapIdentity, the token's owner for personalAccessToken) the Creator role on service connections in the project to create one, and the Administrator role on a connection (or on all connections of the project) to update an existing one",
  'HTTP429@devops': 'Azure DevOps kept throttling this organization; re-run the task later, or run fewer pipelines at once',
  'HTTP429@arm': 'Azure Resource Manager kept throttling this subscription; re-run the task later, or run fewer deployments at once',
  'HTTP429@graph': 'Microsoft Graph kept throttling this tenant; re-run the task later, or run fewer pipelines at once',
  'HTTP429@entra': {
    task: 'Entra ID kept throttling the sign-in of this identity; re-run the task later, or run fewer pipelines with the same bootstrap connection at once',
    commandLine: 'Entra ID kept throttling the sign-in of this identity; run the command again later',
  },
  'HTTP500@arm': 'Azure Resource Manager kept failing; re-run the task later: it picks up from what exists',
  'HTTP503@arm': 'Azure Resource Manager was unavailable; re-run the task later: it picks up from what exists',
  'HTTP500@devops': 'Azure DevOps kept failing; re-run the task later: it picks up from what exists',
  'HTTP503@devops': 'Azure DevOps was unavailable; re-run the task later: it picks up from what exists',
  'HTTP500@graph': 'Microsoft Graph kept failing; re-run the task later: it picks up from what exists',
  'HTTP503@graph': 'Microsoft Graph was unavailable; re-run the task later: it picks up from what exists',
  ECONNRESET: "The connection kept being cut; check the agent's network or proxy, then re-run the task: it picks up from what exists",
  ETIMEDOUT: "The service did not answer in time; check the agent's network or proxy, then re-run the task: it picks up from what exists",
  ECONNREFUSED: "The service refused the connection; check the URL, the agent's network or proxy, then re-run the task",
  network_error: "Entra ID could not be reached; check the agent's network or proxy and the bootstrap connection's authority, then re-run the task",
  endpoints_resolution_error:
    "Entra ID's authority of the bootstrap connection could not be reached to read its endpoints; check that connection's environment and authority URL, or the agent's network and proxy",
};

/** Every key of the hint table, for the README's troubleshooting table to be checked against (tests/unit/repository/readme.test.ts). */
export const HINT_CODES: readonly string[] = Object.keys(HINTS);

/** The hint table's entry for a code (or a status at a service), in every context's words. */
export function hintsFor(code?: string, status?: number, service?: string): Hint | undefined {
  if (code && HINTS[code]) return HINTS[code];
  if (status && service) return HINTS[`HTTP${status}@${service}`];
  return undefined;
}

/** The hint table's entry in the words of one context (the task's by default). */
export function hintFor(code?: string, status?: number, service?: string, context: RunContext = 'task'): string | undefined {
  return hintIn(hintsFor(code, status, service), context);
}

/** Service data can hold anything: keep the failure to one line and never let it carry a log command. */
export function oneLine(text: string): string {
  return text
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .replace(/##vso\[/gi, '##vso_[')
    .trim();
}
