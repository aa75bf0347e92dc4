/**
 * What a test can set of the emulated world: the knobs (how the services behave, each under one name, set
 * at start or through Emulator.configure for what happens from then on), what is fixed at start, and the
 * changes someone other than the task makes to a connection.
 */
import type { CloudName } from './clouds';
import type { Clock } from './clock';
import type { FleetOptions } from './fleet';
import type { BuildServiceRole, ConnectionReadiness, ConnectionVisibility } from './devops-records';
import type { GraphPermission } from './entra-directory';
import type { AgentVmIdentity, BootstrapScheme, RecordedBehaviour } from './world';

/**
 * How the emulated services behave, each under one name: set at start (EmulatorOptions) or at any time
 * after (Emulator.configure), for what happens from then on.
 */
export interface Knobs {
  /** The bootstrap principal's role on service connections as a user of the organization ('none': not a user); default Creator. */
  bootstrapDevOpsRole: BuildServiceRole | 'none';
  /** The job identity's role on service connections in the projects; default Creator. */
  buildServiceRole: BuildServiceRole;
  /** How long a new principal stays invisible to role assignments that omit principalType; default 3000. */
  principalReplicationMs: number;
  /**
   * Whether principalType spares a role assignment the replication window (default true, as documented);
   * false plays the tenants that answer PrincipalNotFound during the window despite it.
   */
  principalTypeSkipsReplication: boolean;
  /** Added to every response; default 0. */
  latencyMs: number;
  /** How long a new or changed federated credential takes to become usable at the token endpoint; default 0. */
  federatedCredentialPropagationMs: number;
  /** How long a federated credential write holds its identity; overlapping writes answer 409. Default 50. */
  ficWriteWindowMs: number;
  /**
   * Microsoft Graph application permissions of the bootstrap application (the `roles` of its Graph tokens
   * issued from then on); default ['Application.ReadWrite.All']. ['Application.ReadWrite.OwnedBy'] plays a
   * bootstrap that may manage only the applications it owns.
   */
  graphPermissions: GraphPermission[];
  /** How long a new application or service principal stays invisible to other Graph requests; default 0. */
  graphReplicationMs: number;
  /** Where the real services answer more than one way (tests/fixtures/recordings/): which way to answer; merged into the current choice. */
  recorded: Partial<RecordedBehaviour>;
  /** How long a new role assignment (and those already made) goes unhonoured by ARM's authorization checks; default 0. */
  roleAssignmentPropagationMs: number;
  /** The issuer new workload identity connections get: 'entra' (default, today's) or 'devops' (the former vstoken issuer). */
  connectionIssuer: 'entra' | 'devops';
  /** Connections created from then on answer isReady false / InProgress for their first N reads; default 0. */
  connectionReadiness: ConnectionReadiness;
  /** Identity reads answer 401, as to a caller the organization does not let see its identities; default false. */
  identitiesDenied: boolean;
  /**
   * Lifetime of the access tokens issued from then on, in seconds; default 3599. Entra ID gives access
   * tokens 60 to 90 minutes by default, and a token lifetime policy can shorten that to 10 minutes
   * (https://learn.microsoft.com/entra/identity-platform/configurable-token-lifetimes, AccessTokenLifetime).
   */
  accessTokenLifetimeSeconds: number;
  /** Azure DevOps delays every request this long and says so in the X-RateLimit-* headers; default 0 (no delay, no headers). */
  devopsRateLimitDelaySeconds: number;
  /** Projects whose service connections Azure DevOps refuses to list (403); default none. */
  unreadableProjects: string[];
}

/** What is fixed when the emulator starts (the world it seeds, the cloud, the network, the clock), and the knobs' first values. */
export interface EmulatorOptions extends Partial<Knobs> {
  bootstrapScheme?: BootstrapScheme;
  /** ManagedServiceIdentity: which of the agent VM's identities the connection uses; default systemAssigned. */
  agentVmIdentity?: AgentVmIdentity;
  /** Roles the bootstrap principal holds: 'Role' at the subscription, 'Role@/scope' elsewhere. */
  bootstrapRoles?: string[];
  /** The cloud to pose as; default AzureCloud. A sovereign cloud implies the proxy. */
  cloud?: CloudName;
  /** Put the agent behind a CONNECT proxy (optionally requiring these credentials). */
  proxy?: boolean | { username: string; password: string };
  /** Seeds the organization with a fleet of connections of every kind (fleet.ts), for the inventory. */
  fleet?: FleetOptions;
  /**
   * The emulator's time (default: the real clock): replication windows, federated credential propagation,
   * project readiness, the credential write window, latency and `slow` faults, the request log's times.
   * In-process runs hand the task and the emulator one virtual clock.
   */
  clock?: Clock;
}

/** A change to one service connection, as a person or Azure DevOps itself would make it. */
export interface ConnectionChange {
  /**
   * Makes another identity the creator of the connection, as when a person made it in the portal: the job
   * identity then needs the Administrator role to change it.
   */
  creator?: 'buildService' | 'platformAdmin';
  /** What callers other than the connection's creator and the project's administrators see of it (ado-serviceendpoint-get-real). */
  visibility?: ConnectionVisibility;
  /** Disables (or enables) the connection, as Azure DevOps does to connections unused for 100 days. */
  disabled?: boolean;
}
