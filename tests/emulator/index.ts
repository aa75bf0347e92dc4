/**
 * The test emulator of Microsoft Entra ID, Microsoft Graph, Azure Resource Manager and Azure DevOps. Each service listens
 * on its own HTTPS port of 127.0.0.1 with a certificate from a throwaway CA; the code under test reaches
 * it through URLs only (endpoint data, SYSTEM_OIDCREQUESTURI, the collection URI), exactly as it reaches
 * Azure, and trusts the CA through NODE_EXTRA_CA_CERTS.
 *
 *   const emu = await Emulator.start();
 *   spawn(process.execPath, [task], { env: { ...emu.agentEnvironment(), INPUT_...: '...' } });
 *   emu.state(); emu.writes(); await emu.stop();
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArmService } from './arm';
import { DevOpsService } from './devops';
import { EntraService } from './entra';
import { GraphService } from './graph';
import { ServiceServer, type FaultRule, type Handler, type RequestLogEntry, type ServiceName, type TrafficControl } from './http';
import { createPki } from './pki';
import {
  newGuid,
  seedWorld,
  type BootstrapScheme,
  type BuildServiceRole,
  type ConnectionReadiness,
  type EmulatorState,
  type GraphPermission,
  type ProjectFacts,
  type ProjectState,
  type ServiceUrls,
  type Settings,
  type Snapshot,
  type World,
} from './world';

export type { FaultRule, RequestLogEntry, ServiceName } from './http';
export type { ApplicationSnapshot, BuildServiceRole, ConnectionReadiness, GraphPermission, ProjectState, Snapshot, World } from './world';

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
  /** Role names the bootstrap principal holds at subscription scope. */
  bootstrapRoles?: string[];
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
  /** Whether principalType spares a role assignment the replication window (default true, as documented). */
  principalTypeSkipsReplication?: boolean;
}

const WRITE_METHODS = ['PUT', 'POST', 'PATCH', 'DELETE'];

export class Emulator {
  readonly requests: RequestLogEntry[] = [];
  readonly faults: { add(rule: FaultRule): void; clear(): void };

  private readonly faultRules: FaultRule[] = [];
  private readonly traffic: TrafficControl;
  private core!: EmulatorState;
  private servers: ServiceServer[] = [];

  private constructor(
    private readonly directory: string,
    readonly caFile: string,
    /** The CA certificate (PEM), for in-process clients that cannot use NODE_EXTRA_CA_CERTS. */
    readonly caPem: string,
    latencyMs: number,
  ) {
    const rules = this.faultRules;
    this.faults = {
      add: (rule) => rules.push({ ...rule, times: rule.times ?? 1 }),
      clear: () => rules.splice(0, rules.length),
    };
    this.traffic = {
      latencyMs,
      takeFault: (service, method, path) => {
        const index = rules.findIndex((r) => r.service === service && (!r.method || r.method.toUpperCase() === method) && (!r.path || r.path.test(path)));
        if (index < 0) return undefined;
        const rule = rules[index];
        rule.times = (rule.times ?? 1) - 1;
        if (rule.times <= 0) rules.splice(index, 1);
        return rule;
      },
      record: (entry) => this.requests.push(entry),
    };
  }

  static async start(options: EmulatorOptions = {}): Promise<Emulator> {
    const directory = mkdtempSync(join(tmpdir(), 'wic-emulator-'));
    const pki = await createPki();
    const caFile = join(directory, 'ca.pem');
    writeFileSync(caFile, pki.caPem);

    const emulator = new Emulator(directory, caFile, pki.caPem, options.latencyMs ?? 0);
    // The services need the URLs (issuer, organization URL) and the URLs need listening servers: start
    // the servers with late-bound handlers, then seed the state and build the services.
    const services: Partial<Record<ServiceName, Handler>> = {};
    const tls = { keyPem: pki.serverKeyPem, certPem: pki.serverCertPem };
    emulator.servers = (['login', 'arm', 'devops', 'graph'] as const).map(
      (service) =>
        new ServiceServer(service, tls, emulator.traffic, (request) => {
          const handler = services[service];
          if (!handler) throw new Error(`Emulator: ${service} is not ready`);
          return handler(request);
        }),
    );
    try {
      const [login, arm, devops, graph] = await Promise.all(emulator.servers.map((s) => s.listen()));
      const urls: ServiceUrls = { login, arm, devops, graph };
      const settings: Settings = {
        bootstrapScheme: options.bootstrapScheme ?? 'WorkloadIdentityFederation',
        buildServiceRole: options.buildServiceRole ?? 'Creator',
        principalReplicationMs: options.principalReplicationMs ?? 3000,
        federatedCredentialPropagationMs: options.federatedCredentialPropagationMs ?? 0,
        ficWriteWindowMs: options.ficWriteWindowMs ?? 50,
        connectionReadiness: { inProgressReads: 0 },
        principalTypeSkipsReplication: options.principalTypeSkipsReplication ?? true,
        graphReplicationMs: options.graphReplicationMs ?? 0,
      };
      emulator.core = seedWorld(urls, settings, {
        bootstrapRoles: options.bootstrapRoles ?? ['Contributor', 'Role Based Access Control Administrator'],
        graphPermissions: options.graphPermissions ?? ['Application.ReadWrite.All'],
      });
      services.login = new EntraService(emulator.core).handle;
      services.arm = new ArmService(emulator.core).handle;
      services.devops = new DevOpsService(emulator.core).handle;
      services.graph = new GraphService(emulator.core).handle;
      return emulator;
    } catch (error) {
      await emulator.stop();
      throw error;
    }
  }

  get urls(): ServiceUrls {
    return this.core.urls;
  }

  get world(): World {
    return this.core.world;
  }

  /** Mutating requests to ARM, Graph and Azure DevOps resources; token requests and OIDC token POSTs excluded. */
  writes(): RequestLogEntry[] {
    return this.requests.filter(
      (r) => r.service !== 'login' && WRITE_METHODS.includes(r.method) && !/\/oidctoken(\?|$)/i.test(r.path),
    );
  }

  state(): Snapshot {
    return this.core.snapshot();
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

  setBuildServiceRole(role: BuildServiceRole): void {
    this.core.settings.buildServiceRole = role;
  }

  /** Connections created from now on answer isReady false / InProgress for their first N reads. */
  setConnectionReadiness(readiness: ConnectionReadiness): void {
    this.core.settings.connectionReadiness = { ...readiness };
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
            wellFormedAt: project.wellFormedAfterMs === undefined ? undefined : Date.now() + project.wellFormedAfterMs,
          }
        : undefined,
    });
    return facts;
  }

  setLatencyMs(ms: number): void {
    this.traffic.latencyMs = ms;
  }

  /**
   * Every variable the agent would give the task, except INPUT_*: the bootstrap endpoint (as
   * ENDPOINT_URL_/AUTH_/DATA_ variables, see microsoft/azure-pipelines-agent Handler.AddEndpointsToEnvironment),
   * the job's SystemVssConnection, the System.* variables and NODE_EXTRA_CA_CERTS.
   */
  agentEnvironment(): Record<string, string> {
    const { world, urls } = this;
    const id = world.bootstrap.connectionId;
    const orgUrl = world.organization.url;
    const parameters: Record<string, string> = { tenantid: world.tenantId, serviceprincipalid: world.bootstrap.clientId };
    if (this.core.settings.bootstrapScheme === 'ServicePrincipal') {
      parameters.authenticationType = 'spnKey';
      parameters.serviceprincipalkey = world.bootstrap.clientSecret;
    }
    const data: Record<string, string> = {
      environment: 'AzureCloud',
      scopeLevel: 'Subscription',
      subscriptionId: world.subscriptionId,
      subscriptionName: world.subscriptionName,
      creationMode: 'Manual',
      resourceManagerUrl: urls.arm,
      activeDirectoryAuthority: urls.login,
      environmentAuthorityUrl: urls.login,
      microsoftGraphUrl: urls.graph,
      activeDirectoryServiceEndpointResourceId: 'https://management.core.windows.net/',
    };
    const workDirectory = join(this.directory, 'agent');
    for (const sub of ['work', 'temp', 'work/s']) mkdirSync(join(workDirectory, sub), { recursive: true });

    const env: Record<string, string> = {
      [`ENDPOINT_URL_${id}`]: urls.arm,
      [`ENDPOINT_AUTH_${id}`]: JSON.stringify({ parameters, scheme: this.core.settings.bootstrapScheme }),
      [`ENDPOINT_AUTH_SCHEME_${id}`]: this.core.settings.bootstrapScheme,
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
    };
    for (const [key, value] of Object.entries(parameters)) env[`ENDPOINT_AUTH_PARAMETER_${id}_${envKey(key)}`] = value;
    for (const [key, value] of Object.entries(data)) env[`ENDPOINT_DATA_${id}_${envKey(key)}`] = value;
    return env;
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.close()));
    rmSync(this.directory, { recursive: true, force: true });
  }
}

/** The agent's VarUtil.ConvertToEnvVariableFormat: upper-case, '.' and ' ' become '_'. */
function envKey(key: string): string {
  return key.replace(/[. ]/g, '_').toUpperCase();
}
