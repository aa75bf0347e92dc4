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
 *   emu.configure({ graphReplicationMs: 5000 }); // a knob (knobs.ts), for what happens from now on
 *   emu.state(); emu.writes(); await emu.stop();
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentEnvironment } from './agent-environment';
import { ArmService } from './arm';
import { systemClock, type Clock } from './clock';
import { CLOUDS, type CloudProfile } from './clouds';
import { DevOpsService } from './devops';
import type { ChecksResource, StageOutcome } from './devops-checks';
import type { IssuerUpdate } from './devops-conversion';
import { identityReference, type ProjectState } from './devops-records';
import { ACCESS_TOKEN_LIFETIME_SECONDS, EntraService } from './entra';
import { GraphService } from './graph';
import { ServiceServer, type FaultRule, type Handler, type RequestLogEntry, type ServiceName, type TrafficControl } from './http';
import { InstanceMetadataService } from './imds';
import type { ConnectionChange, EmulatorOptions, Knobs } from './knobs';
import { createClientCertificate, createPki } from './pki';
import { ConnectProxy } from './proxy';
import { type FleetFacts, seedFleet } from './fleet';
import { seedWorld } from './seed';
import type { EmulatorState } from './state';
import { newGuid, type ProjectFacts, type ServiceUrls, type Settings, type Snapshot, type World } from './world';

export type { FaultRule, RequestLogEntry, ServiceName } from './http';
export type { ConnectionChange, EmulatorOptions, Knobs } from './knobs';
export type { FleetFacts, FleetOptions } from './fleet';
export type { CloudName } from './clouds';
export type { TunnelLogEntry } from './proxy';
export type { AgentVmIdentity, BootstrapScheme, RecordedBehaviour, Snapshot, World } from './world';
export type { ApplicationSnapshot } from './graph-objects';
export type { BuildServiceRole, ConnectionReadiness, ProjectState } from './devops-records';
export type { GraphPermission } from './entra-directory';

export interface NewProject {
  name: string;
  /** Default createPending: a project created a moment ago. */
  state?: ProjectState;
  /** The project turns wellFormed after this many reads of it answered the pending state. */
  wellFormedAfterReads?: number;
  /** The project turns wellFormed this long after it was added. */
  wellFormedAfterMs?: number;
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
  /** What the fleet seeded (EmulatorOptions.fleet): its projects and connections by kind. */
  fleetFacts?: FleetFacts;

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
        connectionReadiness: { inProgressReads: 0, ...options.connectionReadiness },
        principalTypeSkipsReplication: options.principalTypeSkipsReplication ?? true,
        graphReplicationMs: options.graphReplicationMs ?? 0,
        roleAssignmentPropagationMs: options.roleAssignmentPropagationMs ?? 0,
        connectionIssuer: options.connectionIssuer ?? 'entra',
        accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? ACCESS_TOKEN_LIFETIME_SECONDS,
        devopsRateLimitDelaySeconds: options.devopsRateLimitDelaySeconds ?? 0,
        unreadableProjects: [...(options.unreadableProjects ?? [])],
        recorded: { signInRedirectStatus: 203, servicePrincipalLagAnswer: 'recorded', ...options.recorded },
        clock: emulator.serviceClock,
      };
      emulator.core = seedWorld(urls, cloud, settings, {
        bootstrapRoles: options.bootstrapRoles ?? ['Contributor', 'Role Based Access Control Administrator'],
        graphPermissions: options.graphPermissions ?? ['Application.ReadWrite.All'],
        clientCertificate,
        agentVmIdentity: options.agentVmIdentity,
      });
      if (options.fleet) emulator.fleetFacts = seedFleet(emulator.core, options.fleet);
      services.login = new EntraService(emulator.core).handle;
      services.arm = new ArmService(emulator.core).handle;
      // The endpoint proxy calls Entra ID and ARM on a connection's behalf, as Azure DevOps does.
      const devopsService = new DevOpsService(emulator.core, { login: (r) => services.login!(r), arm: (r) => services.arm!(r) });
      emulator.devopsService = devopsService;
      services.devops = devopsService.handle;
      emulator.checks = devopsService.checks;
      emulator.checks.identitiesDenied = options.identitiesDenied ?? false;
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

  /** Turns knobs for what happens from now on; the knobs left out keep their values. */
  configure(knobs: Partial<Knobs>): void {
    const { settings } = this.core;
    if (knobs.bootstrapDevOpsRole !== undefined) settings.bootstrapDevOpsRole = knobs.bootstrapDevOpsRole;
    if (knobs.buildServiceRole !== undefined) settings.buildServiceRole = knobs.buildServiceRole;
    if (knobs.principalReplicationMs !== undefined) settings.principalReplicationMs = knobs.principalReplicationMs;
    if (knobs.principalTypeSkipsReplication !== undefined) settings.principalTypeSkipsReplication = knobs.principalTypeSkipsReplication;
    if (knobs.latencyMs !== undefined) this.traffic.latencyMs = knobs.latencyMs;
    if (knobs.federatedCredentialPropagationMs !== undefined) settings.federatedCredentialPropagationMs = knobs.federatedCredentialPropagationMs;
    if (knobs.ficWriteWindowMs !== undefined) settings.ficWriteWindowMs = knobs.ficWriteWindowMs;
    if (knobs.graphPermissions !== undefined) {
      const principal = this.core.principals.get(this.world.bootstrap.objectId);
      if (principal) principal.graphPermissions = [...knobs.graphPermissions];
    }
    if (knobs.graphReplicationMs !== undefined) settings.graphReplicationMs = knobs.graphReplicationMs;
    if (knobs.recorded !== undefined) Object.assign(settings.recorded, knobs.recorded);
    if (knobs.roleAssignmentPropagationMs !== undefined) settings.roleAssignmentPropagationMs = knobs.roleAssignmentPropagationMs;
    if (knobs.connectionIssuer !== undefined) settings.connectionIssuer = knobs.connectionIssuer;
    if (knobs.connectionReadiness !== undefined) settings.connectionReadiness = { ...knobs.connectionReadiness };
    if (knobs.identitiesDenied !== undefined) this.checks.identitiesDenied = knobs.identitiesDenied;
    if (knobs.accessTokenLifetimeSeconds !== undefined) settings.accessTokenLifetimeSeconds = knobs.accessTokenLifetimeSeconds;
    if (knobs.devopsRateLimitDelaySeconds !== undefined) settings.devopsRateLimitDelaySeconds = knobs.devopsRateLimitDelaySeconds;
    if (knobs.unreadableProjects !== undefined) settings.unreadableProjects = [...knobs.unreadableProjects];
  }

  /** Changes a service connection as a person or Azure DevOps itself would. */
  changeConnection(connectionId: string, change: ConnectionChange): void {
    const stored = this.core.serviceEndpoints.get(connectionId.toLowerCase());
    if (!stored) throw new Error(`Emulator: no service connection ${connectionId}`);
    if (change.creator !== undefined) {
      const creator = change.creator;
      const identity = [...this.core.devopsIdentities.values()].find((i) =>
        creator === 'buildService' ? i.id === this.world.buildService.id : i.uniqueName.startsWith('platform.admin@'),
      );
      if (!identity) throw new Error(`Emulator: no identity for ${creator}`);
      stored.creatorId = identity.id;
      stored.endpoint.createdBy = identityReference(identity, this.world.organization.url);
    }
    if (change.visibility !== undefined) stored.visibility = change.visibility;
    if (change.disabled !== undefined) {
      stored.endpoint.isDisabled = change.disabled;
      stored.endpoint.isReady = !change.disabled;
    }
  }

  /**
   * A pipeline run that used the connection, as Azure DevOps records it in the connection's execution history
   * (ServiceEndpointExecutionRecord of the 7.2 contract), `daysAgo` before now; newest first.
   */
  recordExecution(connectionId: string, use: { pipeline: string; daysAgo: number; planType?: string }): void {
    const stored = this.core.serviceEndpoints.get(connectionId.toLowerCase());
    if (!stored) throw new Error(`Emulator: no service connection ${connectionId}`);
    const history = this.core.executionHistory.get(stored.endpoint.id) ?? [];
    const finish = this.core.now() - use.daysAgo * 86_400_000;
    history.unshift({
      endpointId: stored.endpoint.id,
      data: {
        id: history.length + 1,
        planType: use.planType ?? 'Build',
        definition: { id: 12, name: use.pipeline },
        owner: { id: 345, name: `${use.pipeline} #20260101.1` },
        startTime: new Date(finish - 60_000).toISOString(),
        finishTime: new Date(finish).toISOString(),
        result: 'succeeded',
      },
    });
    this.core.executionHistory.set(stored.endpoint.id, history);
  }

  /** Thirty days later: Entra ID deletes the applications in its deleted items for good, freeing their uniqueName. */
  purgeDeletedApplications(): void {
    this.core.deletedApplications.clear();
  }

  /** Role assignments whose principal the directory no longer has (the portal's "Identity not found"), by id. */
  orphanedAssignments(): string[] {
    const known = new Set([...this.core.principals.keys()].map((id) => id.toLowerCase()));
    return [...this.core.roleAssignments.values()].filter((a) => !known.has(a.properties.principalId.toLowerCase())).map((a) => a.id);
  }

  /** Moves an existing connection to Entra ID's issuer and subject, as Azure DevOps' issuer change does. */
  moveConnectionToEntraIssuer(connectionId: string): void {
    this.devopsService?.endpoints.moveToEntraIssuer(connectionId);
  }

  /** Every identity's federated credentials as `issuer subject` pairs, by application or managed identity name (duplicates kept). */
  federatedCredentialPairs(): Record<string, string[]> {
    const pairs: Record<string, string[]> = {};
    for (const application of this.core.applications.values()) {
      pairs[`application ${application.resource.displayName}`] = [...application.federatedCredentials.values()].map(
        (c) => `${c.resource.issuer} ${c.resource.subject}`,
      );
    }
    for (const [id, credentials] of this.core.federatedCredentials) {
      pairs[`managed identity ${id.split('/').pop()}`] = [...credentials.values()].map(
        (c) => `${c.resource.properties.issuer} ${c.resource.properties.subject}`,
      );
    }
    return pairs;
  }

  /**
   * The web UI's Update on a connection still on Azure DevOps' former issuer (devops-conversion.ts): moves it to
   * Entra ID's issuer when its identity trusts that pair, else answers the values the UI asks to add by hand.
   */
  updateConnectionIssuer(connectionId: string): IssuerUpdate {
    if (!this.devopsService) throw new Error('Emulator: Azure DevOps is not ready');
    return this.devopsService.conversion.updateIssuer(connectionId);
  }

  /**
   * Changes the federated credential of the bootstrap application (a WorkloadIdentityFederation bootstrap):
   * another issuer or subject than its connection's tokens carry, or no credential at all.
   */
  changeBootstrapFederatedCredential(change: { issuer?: string; subject?: string } | 'none'): void {
    const application = this.core.applications.get(this.core.world.bootstrap.applicationObjectId.toLowerCase());
    if (!application) throw new Error('the bootstrap has no application');
    if (change === 'none') application.federatedCredentials.clear();
    else for (const credential of application.federatedCredentials.values()) Object.assign(credential.resource, change);
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

  /**
   * After a crash fault: the crashed caller's connections stay dead (whatever comes on them is held, never
   * applied nor answered, until stop()), and new connections are served again, as for a re-run on a new
   * agent process.
   */
  afterCrash(): void {
    for (const server of this.servers) server.killConnections();
    this.crashed = false;
  }

  /**
   * Every variable the agent would give the task, except INPUT_* (agent-environment.ts), with the agent's
   * work directories in the emulator's own.
   */
  agentEnvironment(): Record<string, string> {
    return agentEnvironment({
      world: this.world,
      urls: this.urls,
      cloud: this.cloud,
      bootstrapScheme: this.core.settings.bootstrapScheme,
      workDirectory: join(this.directory, 'agent'),
      caFile: this.caFile,
      imdsUrl: this.loopback.imds,
      proxy: this.agentProxy && { url: this.agentProxy.url, credentials: this.proxyCredentials },
    });
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
