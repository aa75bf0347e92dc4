/**
 * The test emulator of Microsoft Entra ID, Microsoft Graph, Azure Resource Manager, Azure DevOps and the
 * agent VM's instance metadata endpoint. Each service listens on its own port of 127.0.0.1 (HTTPS with a
 * certificate from a throwaway CA; the metadata endpoint plain HTTP, as on a VM); the code under test
 * reaches it through URLs only (endpoint data, SYSTEM_OIDCREQUESTURI, the collection URI), exactly as it
 * reaches Azure, and trusts the CA through NODE_EXTRA_CA_CERTS. Posing as a sovereign cloud, Entra ID and
 * ARM answer under the cloud's real host names, reached through the agent's proxy (proxy.ts), which also
 * runs on request.
 *
 *   const emu = await Emulator.start();
 *   spawn(process.execPath, [task], { env: { ...emu.agentEnvironment(), INPUT_...: '...' } });
 *   emu.state(); emu.writes(); await emu.stop();
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../src/clock';
import { ArmService } from './arm';
import { CLOUDS, type CloudName, type CloudProfile } from './clouds';
import { DevOpsService } from './devops';
import type { ChecksResource, StageOutcome } from './devops-checks';
import { EntraService } from './entra';
import { GraphService } from './graph';
import { ServiceServer, type FaultRule, type Handler, type RequestLogEntry, type ServiceName, type TrafficControl } from './http';
import { InstanceMetadataService } from './imds';
import { createClientCertificate, createPki } from './pki';
import { ConnectProxy } from './proxy';
import {
  identityReference,
  newGuid,
  seedWorld,
  type AgentVmIdentity,
  type BootstrapScheme,
  type BuildServiceRole,
  type ConnectionReadiness,
  type ConnectionVisibility,
  type EmulatorState,
  type GraphPermission,
  type ProjectFacts,
  type ProjectState,
  type RecordedBehaviour,
  type ServiceUrls,
  type Settings,
  type Snapshot,
  type World,
} from './world';

export type { FaultRule, RequestLogEntry, ServiceName } from './http';
export type { CloudName } from './clouds';
export type { TunnelLogEntry } from './proxy';
export type {
  AgentVmIdentity,
  ApplicationSnapshot,
  BootstrapScheme,
  BuildServiceRole,
  ConnectionReadiness,
  GraphPermission,
  ProjectState,
  RecordedBehaviour,
  Snapshot,
  World,
} from './world';

export interface NewProject {
  name: string;
  /** Default createPending: a project created a moment ago. */
  state?: ProjectState;
  /** The project turns wellFormed after this many reads of it answered the pending state. */
  wellFormedAfterReads?: number;
  /** The project turns wellFormed this long after it was added. */
  wellFormedAfterMs?: number;
}

export interface EmulatorOptions {
  bootstrapScheme?: BootstrapScheme;
  /** ManagedServiceIdentity: which of the agent VM's identities the connection uses; default systemAssigned. */
  agentVmIdentity?: AgentVmIdentity;
  /** Roles the bootstrap principal holds: 'Role' at the subscription, 'Role@/scope' elsewhere. */
  bootstrapRoles?: string[];
  /** The bootstrap principal's role on service connections as a user of the organization ('none': not a user); default Creator. */
  bootstrapDevOpsRole?: BuildServiceRole | 'none';
  /** The cloud to pose as; default AzureCloud. A sovereign cloud implies the proxy. */
  cloud?: CloudName;
  /** Put the agent behind a CONNECT proxy (optionally requiring these credentials). */
  proxy?: boolean | { username: string; password: string };
  /** The job identity's role on service connections in the projects. */
  buildServiceRole?: BuildServiceRole;
  /** How long a new principal stays invisible to role assignments that omit principalType; default 3000. */
  principalReplicationMs?: number;
  /** Added to every response; default 0. */
  latencyMs?: number;
  /** How long a new or changed federated credential takes to become usable at the token endpoint; default 0. */
  federatedCredentialPropagationMs?: number;
  /** How long a federated credential write holds its identity; overlapping writes answer 409. Default 50. */
  ficWriteWindowMs?: number;
  /**
   * Microsoft Graph application permissions of the bootstrap application (the `roles` of its Graph
   * tokens); default ['Application.ReadWrite.All']. ['Application.ReadWrite.OwnedBy'] plays a bootstrap
   * that may manage only the applications it owns.
   */
  graphPermissions?: GraphPermission[];
  /** How long a new application or service principal stays invisible to other Graph requests; default 0. */
  graphReplicationMs?: number;
  /** Where the real services answer more than one way (tests/fixtures/recordings/): which way to answer. */
  recorded?: Partial<RecordedBehaviour>;
  /** Whether principalType spares a role assignment the replication window (default true, as documented). */
  principalTypeSkipsReplication?: boolean;
  /** How long a new role assignment goes unhonoured by ARM's authorization checks; default 0. */
  roleAssignmentPropagationMs?: number;
  /** The issuer new workload identity connections get: 'entra' (default, today's) or 'devops' (the former vstoken issuer). */
  connectionIssuer?: 'entra' | 'devops';
  /**
   * The emulator's time (default: the real clock): replication windows, federated credential propagation,
   * project readiness, the credential write window, latency and `slow` faults, the request log's times.
   * In-process runs hand the task and the emulator one virtual clock.
   */
  clock?: Clock;
}

const WRITE_METHODS = ['PUT', 'POST', 'PATCH', 'DELETE'];

export class Emulator {
  readonly requests: RequestLogEntry[] = [];
  /** Fault rules: add one, clear them all, or list those that have not fired as often as they may. */
  readonly faults: { add(rule: FaultRule): void; clear(): void; pending(): FaultRule[] };

  private readonly faultRules: FaultRule[] = [];
  private readonly traffic: TrafficControl;
  private readonly serviceClock: Clock;
  private core!: EmulatorState;
  private servers: ServiceServer[] = [];
  /** Where each service really listens, and the instance metadata endpoint. */
  private loopback!: ServiceUrls & { imds: string };
  private agentProxy?: ConnectProxy;
  private crashed = false;
  private heldRequests = 0;
  /** Requests arrived and not yet answered, minus those waiting on the clock or a hold. */
  private working = 0;
  private arrivals = 0;
  private proxyCredentials?: { username: string; password: string };
  private devopsService?: DevOpsService;
  private checks!: ChecksResource;

  private constructor(
    private readonly directory: string,
    readonly caFile: string,
    /** The CA certificate (PEM), for in-process clients that cannot use NODE_EXTRA_CA_CERTS. */
    readonly caPem: string,
    latencyMs: number,
    /** The emulator's time; in-process runs of the task share it. */
    readonly clock: Clock,
  ) {
    const rules = this.faultRules;
    this.faults = {
      add: (rule) => rules.push({ ...rule, times: rule.times ?? 1 }),
      clear: () => rules.splice(0, rules.length),
      pending: () => [...rules],
    };
    // The services' and the front end's waits: a request asleep on the clock is not being worked on.
    const serviceClock: Clock = {
      now: () => clock.now(),
      sleep: async (ms) => {
        this.working -= 1;
        try {
          await clock.sleep(ms);
        } finally {
          this.working += 1;
        }
      },
    };
    this.serviceClock = serviceClock;
    this.traffic = {
      latencyMs,
      clock: serviceClock,
      working: (delta) => {
        this.working += delta;
        if (delta > 0) this.arrivals += 1;
      },
      frozen: () => this.crashed,
      crash: () => {
        this.crashed = true;
      },
      held: () => {
        this.heldRequests += 1;
      },
      takeFault: (service, method, path) => {
        const matches = (r: FaultRule): boolean =>
          r.service === service &&
          (!r.method || r.method.toUpperCase() === method) &&
          (!r.path || r.path.test(path)) &&
          (!r.writesOnly || isWrite(service, method, path));
        for (let index = 0; index < rules.length; index++) {
          const rule = rules[index];
          if (!matches(rule)) continue;
          if ((rule.skip ?? 0) > 0) {
            // Counted, and let through: the rule waits for a later request.
            rule.skip = (rule.skip ?? 0) - 1;
            continue;
          }
          rule.times = (rule.times ?? 1) - 1;
          if (rule.times <= 0) rules.splice(index, 1);
          return rule;
        }
        return undefined;
      },
      record: (entry) => this.requests.push(entry),
    };
  }

  static async start(options: EmulatorOptions = {}): Promise<Emulator> {
    const directory = mkdtempSync(join(tmpdir(), 'wic-emulator-'));
    const scheme = options.bootstrapScheme ?? 'WorkloadIdentityFederation';
    const [pki, clientCertificate] = await Promise.all([
      createPki(),
      scheme === 'ServicePrincipalCertificate' ? createClientCertificate('contoso-platform-bootstrap') : undefined,
    ]);
    const caFile = join(directory, 'ca.pem');
    writeFileSync(caFile, pki.caPem);

    const emulator = new Emulator(directory, caFile, pki.caPem, options.latencyMs ?? 0, options.clock ?? systemClock);
    // The services need the URLs (issuer, organization URL) and the URLs need listening servers: start
    // the servers with late-bound handlers, then seed the state and build the services.
    const services: Partial<Record<ServiceName, Handler>> = {};
    const tls = { keyPem: pki.serverKeyPem, certPem: pki.serverCertPem };
    emulator.servers = (['login', 'arm', 'devops', 'graph', 'imds'] as const).map(
      (service) =>
        new ServiceServer(service, service === 'imds' ? undefined : tls, emulator.traffic, (request) => {
          const handler = services[service];
          if (!handler) throw new Error(`Emulator: ${service} is not ready`);
          return handler(request);
        }),
    );
    try {
      const [login, arm, devops, graph, imds] = await Promise.all(emulator.servers.map((s) => s.listen()));
      emulator.loopback = { login, arm, devops, graph, imds };
      const cloud: CloudProfile = CLOUDS[options.cloud ?? 'AzureCloud'];
      // A sovereign cloud answers under its real names (and default HTTPS port), which only the proxy resolves.
      const urls: ServiceUrls = cloud.hosts
        ? { login: `https://${cloud.hosts.login[0]}/`, arm: `https://${cloud.hosts.arm}/`, devops, graph }
        : { login, arm, devops, graph };
      if (cloud.hosts || options.proxy) {
        emulator.proxyCredentials = typeof options.proxy === 'object' ? options.proxy : undefined;
        emulator.agentProxy = await ConnectProxy.start({ credentials: emulator.proxyCredentials, route: (host, port) => emulator.route(cloud, host, port) });
      }
      const settings: Settings = {
        bootstrapScheme: scheme,
        bootstrapDevOpsRole: options.bootstrapDevOpsRole ?? 'Creator',
        buildServiceRole: options.buildServiceRole ?? 'Creator',
        principalReplicationMs: options.principalReplicationMs ?? 3000,
        federatedCredentialPropagationMs: options.federatedCredentialPropagationMs ?? 0,
        ficWriteWindowMs: options.ficWriteWindowMs ?? 50,
        connectionReadiness: { inProgressReads: 0 },
        principalTypeSkipsReplication: options.principalTypeSkipsReplication ?? true,
        graphReplicationMs: options.graphReplicationMs ?? 0,
        roleAssignmentPropagationMs: options.roleAssignmentPropagationMs ?? 0,
        connectionIssuer: options.connectionIssuer ?? 'entra',
        recorded: { signInRedirectStatus: 203, servicePrincipalLagAnswer: 'recorded', ...options.recorded },
        clock: emulator.serviceClock,
      };
      emulator.core = seedWorld(urls, cloud, settings, {
        bootstrapRoles: options.bootstrapRoles ?? ['Contributor', 'Role Based Access Control Administrator'],
        graphPermissions: options.graphPermissions ?? ['Application.ReadWrite.All'],
        clientCertificate,
        agentVmIdentity: options.agentVmIdentity,
      });
      services.login = new EntraService(emulator.core).handle;
      services.arm = new ArmService(emulator.core).handle;
      // The endpoint proxy calls Entra ID and ARM on a connection's behalf, as Azure DevOps does.
      const devopsService = new DevOpsService(emulator.core, { login: (r) => services.login!(r), arm: (r) => services.arm!(r) });
      emulator.devopsService = devopsService;
      services.devops = devopsService.handle;
      emulator.checks = devopsService.checks;
      services.graph = new GraphService(emulator.core).handle;
      services.imds = new InstanceMetadataService(emulator.core).handle;
      return emulator;
    } catch (error) {
      await emulator.stop();
      throw error;
    }
  }

  /** The URLs the agent hands the task: loopback addresses, or a sovereign cloud's real host names. */
  get urls(): ServiceUrls {
    return this.core.urls;
  }

  /** The cloud the emulator poses as. */
  get cloud(): CloudProfile {
    return this.core.cloud;
  }

  /** The agent's proxy, when the emulator runs one. */
  get proxy(): ConnectProxy | undefined {
    return this.agentProxy;
  }

  /**
   * The loopback URL that serves a URL the agent hands out, for in-process clients that do not go through
   * the proxy (a sovereign host name maps to its service's loopback port; loopback URLs stay as they are).
   */
  direct(url: string): string {
    const parsed = new URL(url);
    const service = (['login', 'arm'] as const).find((s) => this.hostsOf(s).includes(parsed.hostname.toLowerCase()));
    if (!service) return url;
    const target = new URL(this.loopback[service]);
    parsed.protocol = target.protocol;
    parsed.host = target.host;
    return parsed.toString();
  }

  private hostsOf(service: 'login' | 'arm'): string[] {
    const hosts = this.core.cloud.hosts;
    if (!hosts) return [];
    return service === 'login' ? hosts.login : [hosts.arm];
  }

  /**
   * Where the proxy sends a CONNECT: a sovereign cloud's host names on port 443 to the services posing as
   * them, the emulator's own loopback ports to themselves; anything else has no route (the tests run offline).
   */
  private route(cloud: CloudProfile, host: string, port: number): { host: string; port: number } | undefined {
    const portOf = (url: string): number => Number(new URL(url).port);
    if (cloud.hosts && port === 443) {
      if (cloud.hosts.login.includes(host)) return { host: '127.0.0.1', port: portOf(this.loopback.login) };
      if (cloud.hosts.arm === host) return { host: '127.0.0.1', port: portOf(this.loopback.arm) };
    }
    const own = Object.values(this.loopback).map(portOf);
    return (host === '127.0.0.1' || host === 'localhost') && own.includes(port) ? { host: '127.0.0.1', port } : undefined;
  }

  get world(): World {
    return this.core.world;
  }

  /** Mutating requests to ARM, Graph and Azure DevOps resources; token requests, OIDC token and endpoint proxy POSTs excluded. */
  writes(): RequestLogEntry[] {
    return this.requests.filter((r) => isWrite(r.service, r.method, r.path));
  }

  /**
   * Every credential the emulator issued or received: client secrets, job access tokens, pipeline OIDC
   * tokens, client assertions and access tokens. None of them may ever appear in what the task prints.
   */
  secrets(): string[] {
    return [...this.core.secrets];
  }

  state(): Snapshot {
    return this.core.snapshot();
  }

  /**
   * A later run of a stage that uses the connection, from `branch` (e.g. refs/heads/main): what its checks
   * make of it (devops-checks.ts). Azure Pipelines evaluates checks for YAML stages only.
   */
  runStage(connectionId: string, branch: string): StageOutcome {
    return this.checks.runStage(connectionId, branch);
  }

  /** Identity reads answer 401, as to a caller the organization does not let see its identities. */
  setIdentitiesDenied(denied: boolean): void {
    this.checks.identitiesDenied = denied;
  }

  setPrincipalReplicationMs(ms: number): void {
    this.core.settings.principalReplicationMs = ms;
  }

  /** Also whether PrincipalNotFound is answered during the window despite principalType (some tenants do). */
  setPrincipalTypeSkipsReplication(skips: boolean): void {
    this.core.settings.principalTypeSkipsReplication = skips;
  }

  setGraphReplicationMs(ms: number): void {
    this.core.settings.graphReplicationMs = ms;
  }

  /** Changes the bootstrap application's Graph permissions for tokens issued from now on. */
  setGraphPermissions(permissions: GraphPermission[]): void {
    const principal = this.core.principals.get(this.world.bootstrap.objectId);
    if (principal) principal.graphPermissions = [...permissions];
  }

  setFederatedCredentialPropagationMs(ms: number): void {
    this.core.settings.federatedCredentialPropagationMs = ms;
  }

  /** How long role assignments made from now on (and those already made) go unhonoured by ARM. */
  setRoleAssignmentPropagationMs(ms: number): void {
    this.core.settings.roleAssignmentPropagationMs = ms;
  }

  /** The issuer workload identity connections created from now on get: 'entra' (today's) or 'devops' (the former). */
  setConnectionIssuer(issuer: 'entra' | 'devops'): void {
    this.core.settings.connectionIssuer = issuer;
  }

  /** Moves an existing connection to Entra ID's issuer and subject, as Azure DevOps' issuer change does. */
  moveConnectionToEntraIssuer(connectionId: string): void {
    this.devopsService?.endpoints.moveToEntraIssuer(connectionId);
  }

  setBuildServiceRole(role: BuildServiceRole): void {
    this.core.settings.buildServiceRole = role;
  }

  /**
   * Makes another identity the creator of a connection, as when a person made it in the portal: the job
   * identity then needs the Administrator role to change it.
   */
  /** What callers other than the connection's creator and the project's administrators see of it (ado-serviceendpoint-get-real). */
  setConnectionVisibility(connectionId: string, visibility: ConnectionVisibility): void {
    const stored = this.core.serviceEndpoints.get(connectionId.toLowerCase());
    if (!stored) throw new Error(`Emulator: no service connection ${connectionId}`);
    stored.visibility = visibility;
  }

  /** Disables (or enables) a connection, as Azure DevOps does to connections unused for 100 days. */
  setConnectionDisabled(connectionId: string, disabled: boolean): void {
    const stored = this.core.serviceEndpoints.get(connectionId.toLowerCase());
    if (!stored) throw new Error(`Emulator: no service connection ${connectionId}`);
    stored.endpoint.isDisabled = disabled;
    stored.endpoint.isReady = !disabled;
  }

  setConnectionCreator(connectionId: string, creator: 'buildService' | 'platformAdmin'): void {
    const stored = this.core.serviceEndpoints.get(connectionId.toLowerCase());
    if (!stored) throw new Error(`Emulator: no service connection ${connectionId}`);
    const identity = [...this.core.devopsIdentities.values()].find((i) =>
      creator === 'buildService' ? i.id === this.world.buildService.id : i.uniqueName.startsWith('platform.admin@'),
    );
    if (!identity) throw new Error(`Emulator: no identity for ${creator}`);
    stored.creatorId = identity.id;
    stored.endpoint.createdBy = identityReference(identity, this.world.organization.url);
  }

  setBootstrapDevOpsRole(role: BuildServiceRole | 'none'): void {
    this.core.settings.bootstrapDevOpsRole = role;
  }

  /** Connections created from now on answer isReady false / InProgress for their first N reads. */
  setConnectionReadiness(readiness: ConnectionReadiness): void {
    this.core.settings.connectionReadiness = { ...readiness };
  }

  /** How long a federated credential write holds its identity; overlapping writes answer 409. */
  /**
   * Changes the federated credential of the bootstrap application (a WorkloadIdentityFederation bootstrap):
   * another issuer or subject than its connection's tokens carry, or no credential at all.
   */
  setBootstrapFederatedCredential(change: { issuer?: string; subject?: string } | 'none'): void {
    const application = this.core.applications.get(this.core.world.bootstrap.applicationObjectId.toLowerCase());
    if (!application) throw new Error('the bootstrap has no application');
    if (change === 'none') application.federatedCredentials.clear();
    else for (const credential of application.federatedCredentials.values()) Object.assign(credential.resource, change);
  }

  /** Switches a recorded behaviour (see RecordedBehaviour) from now on. */
  setRecorded(recorded: Partial<RecordedBehaviour>): void {
    Object.assign(this.core.settings.recorded, recorded);
  }

  setFicWriteWindowMs(ms: number): void {
    this.core.settings.ficWriteWindowMs = ms;
  }

  /**
   * Adds a project as if someone had just created it: pending (createPending by default) until the
   * knob turns it wellFormed; neither knob set keeps it pending.
   */
  addProject(project: NewProject): ProjectFacts {
    const facts = { name: project.name, id: newGuid() };
    const pending = project.state === undefined || project.state === 'new' || project.state === 'createPending';
    this.core.projects.push({
      ...facts,
      description: '',
      revision: 1,
      lastUpdateTime: new Date().toISOString(),
      state: project.state ?? 'createPending',
      pending: pending
        ? {
            readsLeft: project.wellFormedAfterReads,
            wellFormedAt: project.wellFormedAfterMs === undefined ? undefined : this.clock.now() + project.wellFormedAfterMs,
          }
        : undefined,
    });
    return facts;
  }

  /**
   * After a crash fault: the crashed caller's connections stay dead (whatever comes on them is held, never
   * applied nor answered, until stop()), and new connections are served again, as for a re-run on a new
   * agent process.
   */
  /**
   * What a virtual clock watches before it moves: how many requests are being worked on now, and a count
   * that changes whenever a request arrives or resumes (quiet means it stayed the same).
   */
  progress(): { working: number; events: number } {
    return { working: this.working, events: this.arrivals + this.requests.length + this.heldRequests };
  }

  /** Requests logged plus requests held from a crashed caller: it stops changing once a crashed run is still. */
  get activity(): number {
    return this.requests.length + this.heldRequests;
  }

  afterCrash(): void {
    for (const server of this.servers) server.killConnections();
    this.crashed = false;
  }

  setLatencyMs(ms: number): void {
    this.traffic.latencyMs = ms;
  }

  /**
   * Every variable the agent would give the task, except INPUT_*: the bootstrap endpoint (as
   * ENDPOINT_URL_/AUTH_/DATA_ variables, see microsoft/azure-pipelines-agent Handler.AddEndpointsToEnvironment),
   * the job's SystemVssConnection, the System.* variables, the agent's proxy settings (Agent.ProxyUrl,
   * Agent.ProxyUsername, and Agent.ProxyPassword as a secret variable) when it sits behind one,
   * NODE_EXTRA_CA_CERTS, and the machine's managed identity endpoint.
   */
  agentEnvironment(): Record<string, string> {
    const { world, urls, cloud } = this;
    const id = world.bootstrap.connectionId;
    const orgUrl = world.organization.url;
    const scheme = this.core.settings.bootstrapScheme;
    const parameters: Record<string, string> = { tenantid: world.tenantId, serviceprincipalid: world.bootstrap.clientId };
    if (scheme === 'ServicePrincipal') {
      parameters.authenticationType = 'spnKey';
      parameters.serviceprincipalkey = world.bootstrap.clientSecret;
    } else if (scheme === 'ServicePrincipalCertificate') {
      parameters.authenticationType = 'spnCertificate';
      parameters.servicePrincipalCertificate = world.bootstrap.certificatePem ?? '';
    } else if (scheme === 'ManagedServiceIdentity') {
      delete parameters.serviceprincipalid;
    }
    const data: Record<string, string> = {
      environment: cloud.environment,
      scopeLevel: 'Subscription',
      subscriptionId: world.subscriptionId,
      subscriptionName: world.subscriptionName,
      creationMode: 'Manual',
      resourceManagerUrl: urls.arm,
      activeDirectoryAuthority: urls.login,
      environmentAuthorityUrl: urls.login,
      // A sovereign cloud's Graph is not emulated under its real name: its endpoint data names it anyway.
      microsoftGraphUrl: cloud.hosts ? cloud.graphUrl : urls.graph,
      activeDirectoryServiceEndpointResourceId: cloud.armAudience,
    };
    if (world.bootstrap.msiClientId) data.msiclientId = world.bootstrap.msiClientId;
    const workDirectory = join(this.directory, 'agent');
    for (const sub of ['work', 'temp', 'work/s']) mkdirSync(join(workDirectory, sub), { recursive: true });

    const env: Record<string, string> = {
      [`ENDPOINT_URL_${id}`]: urls.arm,
      [`ENDPOINT_AUTH_${id}`]: JSON.stringify({ parameters, scheme: endpointScheme(scheme) }),
      [`ENDPOINT_AUTH_SCHEME_${id}`]: endpointScheme(scheme),
      [`ENDPOINT_DATA_${id}`]: JSON.stringify(data),
      ENDPOINT_URL_SYSTEMVSSCONNECTION: orgUrl,
      ENDPOINT_AUTH_SYSTEMVSSCONNECTION: JSON.stringify({ parameters: { AccessToken: world.jobAccessToken }, scheme: 'OAuth' }),
      ENDPOINT_AUTH_SCHEME_SYSTEMVSSCONNECTION: 'OAuth',
      ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: world.jobAccessToken,
      SYSTEM_COLLECTIONURI: orgUrl,
      SYSTEM_TEAMFOUNDATIONCOLLECTIONURI: orgUrl,
      SYSTEM_TEAMFOUNDATIONSERVERURI: orgUrl,
      SYSTEM_TEAMPROJECT: world.project.name,
      SYSTEM_TEAMPROJECTID: world.project.id,
      SYSTEM_HOSTTYPE: 'build',
      SYSTEM_PLANID: world.planId,
      SYSTEM_JOBID: world.jobId,
      SYSTEM_OIDCREQUESTURI: `${orgUrl}${world.project.id}/_apis/distributedtask/hubs/build/plans/${world.planId}/jobs/${world.jobId}/oidctoken`,
      SYSTEM_DEFAULTWORKINGDIRECTORY: join(workDirectory, 'work', 's'),
      AGENT_TEMPDIRECTORY: join(workDirectory, 'temp'),
      AGENT_WORKFOLDER: join(workDirectory, 'work'),
      AGENT_VERSION: '4.266.2',
      TF_BUILD: 'True',
      NODE_EXTRA_CA_CERTS: this.caFile,
      // The machine's managed identity endpoint. On an Azure VM it is 169.254.169.254 and needs no variable;
      // this agent runs where the endpoint is elsewhere (AKS pod-managed identity), the one override that
      // @azure/identity's MSAL IMDS source honours (msal-node Imds.tryCreate).
      AZURE_POD_IDENTITY_AUTHORITY_HOST: this.loopback.imds.replace(/\/$/, ''),
    };
    if (this.agentProxy) {
      env.AGENT_PROXYURL = this.agentProxy.url;
      if (this.proxyCredentials) {
        env.AGENT_PROXYUSERNAME = this.proxyCredentials.username;
        // The agent hands the proxy password to tasks as a secret variable.
        env.SECRET_AGENT_PROXYPASSWORD = this.proxyCredentials.password;
        env.VSTS_SECRET_VARIABLES = JSON.stringify(['Agent.ProxyPassword']);
      }
    }
    for (const [key, value] of Object.entries(parameters)) env[`ENDPOINT_AUTH_PARAMETER_${id}_${envKey(key)}`] = value;
    for (const [key, value] of Object.entries(data)) env[`ENDPOINT_DATA_${id}_${envKey(key)}`] = value;
    return env;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.servers.map((s) => s.close()), this.agentProxy?.close()]);
    rmSync(this.directory, { recursive: true, force: true });
  }
}

/**
 * A request that changes something: token requests, pipeline OIDC token POSTs and the service endpoint
 * proxy's POSTs (a verification reads through the connection) do not count.
 */
function isWrite(service: ServiceName, method: string, path: string): boolean {
  return service !== 'login' && service !== 'imds' && WRITE_METHODS.includes(method) && !/\/(oidctoken|serviceendpoint\/endpointproxy)(\?|$)/i.test(path);
}

/** The Azure DevOps scheme of a bootstrap connection: a certificate connection is a ServicePrincipal one. */
function endpointScheme(scheme: BootstrapScheme): string {
  return scheme === 'ServicePrincipalCertificate' ? 'ServicePrincipal' : scheme;
}

/** The agent's VarUtil.ConvertToEnvVariableFormat: upper-case, '.' and ' ' become '_'. */
function envKey(key: string): string {
  return key.replace(/[. ]/g, '_').toUpperCase();
}
