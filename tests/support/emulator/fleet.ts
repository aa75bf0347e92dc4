/**
 * A fleet of service connections for the inventory (issue 20), seeded beside the world (EmulatorOptions.fleet):
 * two projects of every kind, `fleet-a` and `fleet-b`, and on request hundreds of generated projects.
 *
 * Every kind the issue lists: workload identity connections on Entra ID's issuer and on Azure DevOps' former
 * one, with a managed identity or an app registration; secret and certificate connections, automatic and
 * manual; a shared, a disabled, a failed and an orphaned connection; a multi-tenant application, a
 * sovereign-cloud connection, a publish-profile and a non-AzureRM connection; execution history, and
 * applications' secrets and certificates with expiry dates. Shapes: devops-records.ts (endpoints),
 * graph-objects.ts (applications with passwordCredentials/keyCredentials as Graph answers them), arm-msi.ts
 * (identities and their federated credentials), devops-endpoints.ts executionHistory (execution records).
 */
import { randomUUID } from 'node:crypto';
import { roleAssignmentResource, type FederatedIdentityCredentialResource } from './arm-resources';
import { identityReference, workloadIdentityParameters, workloadIdentitySubject, type ProjectRecord, type ServiceEndpoint } from './devops-records';
import { TOKEN_EXCHANGE_AUDIENCE } from './entra-directory';
import { graphApplication, graphServicePrincipal, type StoredApplication } from './graph-objects';
import type { EmulatorState } from './state';

export interface FleetOptions {
  /** Generated projects beside fleet-a and fleet-b, `gen-001`… (the knob for hundreds of projects); default 0. */
  generatedProjects?: number;
  /** Connections in each generated project, of the common kinds; default 20. */
  connectionsPerProject?: number;
}

export interface FleetFacts {
  /** The fleet's projects, seeded ones first. */
  projects: string[];
  /** Every fleet connection by name: its id and owning project. */
  connections: Record<string, { id: string; project: string }>;
}

const DAY = 24 * 3600 * 1000;

type Kind = 'wif-mi-entra' | 'wif-app-entra' | 'wif-mi-devops' | 'wif-app-devops' | 'secret' | 'certificate';
/** The mix of a generated project: mostly federated, some on the old issuer, some secrets (bench and scale tests). */
const GENERATED_MIX: Kind[] = [
  'wif-app-entra',
  'wif-app-entra',
  'wif-mi-entra',
  'wif-app-devops',
  'wif-mi-entra',
  'wif-app-entra',
  'wif-mi-devops',
  'secret',
  'wif-app-entra',
  'certificate',
];

export function seedFleet(state: EmulatorState, options: FleetOptions): FleetFacts {
  const fleet = new Fleet(state);
  const a = fleet.project('fleet-a');
  const b = fleet.project('fleet-b');
  const now = state.now();
  fleet.federated('wif-mi-entra', [a], { identity: 'managedIdentity', issuer: 'entra' });
  fleet.federated('wif-app-entra', [a], { identity: 'appRegistration', issuer: 'entra' });
  fleet.federated('wif-mi-devops', [a], { identity: 'managedIdentity', issuer: 'devops' });
  fleet.federated('wif-app-devops', [a], { identity: 'appRegistration', issuer: 'devops' });
  fleet.federated('wif-app-no-credential', [a], { identity: 'appRegistration', issuer: 'entra', withoutCredential: true });
  fleet.federated('shared-wif', [a, b], { identity: 'managedIdentity', issuer: 'entra' });
  fleet.federated('disabled-wif', [a], { identity: 'managedIdentity', issuer: 'entra', disabled: true });
  fleet.federated('failed-wif', [b], {
    identity: 'managedIdentity',
    issuer: 'entra',
    failed: 'Could not create the federated credential: the identity was not found.',
  });
  fleet.federated('orphaned-wif', [b], { identity: 'none', issuer: 'entra' });
  fleet.federated('multitenant-devops', [b], { identity: 'appRegistration', issuer: 'devops', multiTenant: true });
  fleet.federated('sovereign-devops', [b], { identity: 'none', issuer: 'devops', environment: 'AzureUSGovernment' });
  fleet.federated('unused-wif', [b], { identity: 'appRegistration', issuer: 'entra', lastUsedDaysAgo: 120 });
  fleet.federated('never-used-wif', [b], { identity: 'managedIdentity', issuer: 'entra', lastUsedDaysAgo: null });
  fleet.secret('secret-automatic', [a], { creationMode: 'Automatic', expiresInDays: [-200, 12] });
  fleet.secret('secret-manual-expired', [b], { creationMode: 'Manual', expiresInDays: [-40, -5] });
  fleet.secret('certificate-manual', [b], { creationMode: 'Manual', certificate: true, expiresInDays: [200] });
  fleet.other('publish-profile', b, 'AzureRM', 'PublishProfile');
  fleet.other('agent-machine-identity', b, 'AzureRM', 'ManagedServiceIdentity');
  fleet.other('github-not-azurerm', a, 'GitHub', 'Token');
  // The bootstrap connection is a federated connection too: in use.
  state.executionHistory.set(state.world.bootstrap.connectionId, [executionRecord(state.world.bootstrap.connectionId, 1, now - DAY)]);
  // The generated connections are read, never verified: their identities hold no role (a lighter ARM).
  fleet.grantReader = false;
  for (let p = 1; p <= (options.generatedProjects ?? 0); p++) {
    const project = fleet.project(`gen-${String(p).padStart(3, '0')}`);
    for (let c = 0; c < (options.connectionsPerProject ?? 20); c++) {
      const kind = GENERATED_MIX[c % GENERATED_MIX.length];
      const name = `${project.name}-${kind}-${c}`;
      if (kind === 'secret' || kind === 'certificate')
        fleet.secret(name, [project], { creationMode: 'Manual', certificate: kind === 'certificate', expiresInDays: [300] });
      else {
        const [, identity, issuer] = /^wif-(mi|app)-(entra|devops)$/.exec(kind)!;
        fleet.federated(name, [project], { identity: identity === 'mi' ? 'managedIdentity' : 'appRegistration', issuer: issuer as 'entra' | 'devops' });
      }
    }
  }
  return fleet.facts;
}

interface Federated {
  identity: 'managedIdentity' | 'appRegistration' | 'none';
  issuer: 'entra' | 'devops';
  withoutCredential?: boolean;
  disabled?: boolean;
  failed?: string;
  multiTenant?: boolean;
  environment?: string;
  /** Days since the newest execution record; null: none; default 3. */
  lastUsedDaysAgo?: number | null;
}

class Fleet {
  readonly facts: FleetFacts = { projects: [], connections: {} };
  /** Whether a new identity gets Reader on the subscription, so that Azure DevOps' verification reaches it. */
  grantReader = true;
  private recordId = 100;

  constructor(private readonly state: EmulatorState) {}

  project(name: string): ProjectRecord {
    const project: ProjectRecord = {
      id: randomUUID(),
      name,
      description: 'fleet',
      revision: 1,
      lastUpdateTime: new Date(this.state.now()).toISOString(),
      state: 'wellFormed',
    };
    this.state.projects.push(project);
    this.facts.projects.push(name);
    return project;
  }

  federated(name: string, projects: ProjectRecord[], how: Federated): void {
    const id = randomUUID();
    const { tenantId, organization } = this.state.world;
    const [issuer, subject] =
      how.issuer === 'entra'
        ? [this.state.entraIssuer(tenantId), workloadIdentitySubject(tenantId, organization.id, id)]
        : [this.state.devopsIssuer(), `sc://${organization.name}/${projects[0].name}/${name}`];
    const credential = how.withoutCredential ? undefined : { issuer, subject };
    const clientId =
      how.identity === 'managedIdentity'
        ? this.managedIdentity(`id-${name}`, credential)
        : how.identity === 'appRegistration'
          ? this.application(`app-${name}`, { fics: credential ? [credential] : [], multiTenant: how.multiTenant })
          : randomUUID();
    const parameters = {
      tenantid: tenantId,
      serviceprincipalid: clientId,
      ...workloadIdentityParameters(issuer, subject, how.issuer === 'entra' ? 'EntraID' : 'AzureDevOps'),
    };
    this.connection(id, name, projects, {
      scheme: 'WorkloadIdentityFederation',
      parameters,
      environment: how.environment,
      disabled: how.disabled,
      failed: how.failed,
    });
    const days = how.lastUsedDaysAgo === undefined ? 3 : how.lastUsedDaysAgo;
    if (days !== null) this.used(id, days);
  }

  secret(name: string, projects: ProjectRecord[], how: { creationMode: 'Automatic' | 'Manual'; certificate?: boolean; expiresInDays: number[] }): void {
    const id = randomUUID();
    const clientId = this.application(`app-${name}`, { fics: [], [how.certificate ? 'certificates' : 'secrets']: how.expiresInDays });
    const parameters: Record<string, string | null> = {
      tenantid: this.state.world.tenantId,
      serviceprincipalid: clientId,
      authenticationType: how.certificate ? 'spnCertificate' : 'spnKey',
      [how.certificate ? 'servicePrincipalCertificate' : 'serviceprincipalkey']: null,
    };
    this.connection(id, name, projects, { scheme: 'ServicePrincipal', parameters, creationMode: how.creationMode });
    this.used(id, 2);
  }

  other(name: string, project: ProjectRecord, type: string, scheme: string): void {
    const id = randomUUID();
    this.connection(id, name, [project], { scheme, parameters: { tenantid: this.state.world.tenantId }, type });
    this.used(id, 1);
  }

  private connection(
    id: string,
    name: string,
    projects: ProjectRecord[],
    how: {
      scheme: string;
      parameters: Record<string, string | null>;
      type?: string;
      creationMode?: string;
      environment?: string;
      disabled?: boolean;
      failed?: string;
    },
  ): void {
    const { world, urls, cloud } = this.state;
    const creator = [...this.state.devopsIdentities.values()].find((i) => i.uniqueName.startsWith('platform.admin@'))!;
    const endpoint: ServiceEndpoint = {
      id,
      name,
      type: how.type ?? 'AzureRM',
      url: how.type ? 'https://api.github.com' : urls.arm,
      description: '',
      data: how.type
        ? {}
        : {
            environment: how.environment ?? cloud.environment,
            scopeLevel: 'Subscription',
            subscriptionId: world.subscriptionId,
            subscriptionName: world.subscriptionName,
            creationMode: how.creationMode ?? 'Manual',
          },
      authorization: { scheme: how.scheme, parameters: how.parameters },
      createdBy: identityReference(creator, world.organization.url),
      isShared: projects.length > 1,
      isReady: !how.disabled && !how.failed,
      isDisabled: how.disabled === true,
      isOutdated: false,
      owner: 'Library',
      serviceEndpointProjectReferences: projects.map((p) => ({ projectReference: { id: p.id, name: p.name }, name, description: '' })),
    };
    this.state.serviceEndpoints.set(id, {
      endpoint,
      secrets: {},
      creatorId: creator.id,
      inProgressReadsLeft: 0,
      finalState: how.failed ? 'Failed' : 'Ready',
      finalStatusMessage: how.failed ?? '',
    });
    this.facts.connections[name] = { id, project: projects[0].name };
  }

  /** Three uses, the newest `daysAgo` days ago, so that the history has more than one page at top=1. */
  private used(connectionId: string, daysAgo: number): void {
    const newest = this.state.now() - daysAgo * DAY;
    // Newest first, as Azure DevOps answers them.
    this.state.executionHistory.set(
      connectionId,
      [newest - 20 * DAY, newest - 10 * DAY, newest].map((at) => executionRecord(connectionId, (this.recordId += 1), at)).reverse(),
    );
  }

  /** A user-assigned identity in rg-identities with its principal, as arm-msi.ts makes one; returns its client id. */
  private managedIdentity(name: string, credential: { issuer: string; subject: string } | undefined): string {
    const { world } = this.state;
    const id = `/subscriptions/${world.subscriptionId}/resourcegroups/rg-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
    const clientId = randomUUID();
    const principalId = randomUUID();
    this.state.identities.set(id.toLowerCase(), {
      id,
      name,
      type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
      location: 'westeurope',
      tags: {},
      properties: { tenantId: world.tenantId, principalId, clientId, isolationScope: 'None' },
    });
    const createdAt = this.state.now() - 90 * DAY;
    this.state.principals.set(principalId, {
      objectId: principalId,
      appId: clientId,
      displayName: name,
      kind: 'ManagedIdentity',
      createdAt,
      secrets: [],
      managedIdentityResourceId: id,
    });
    this.reader(principalId);
    if (credential) {
      const resource: FederatedIdentityCredentialResource = {
        id: `${id}/federatedIdentityCredentials/azure-devops`,
        name: 'azure-devops',
        type: 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials',
        properties: { ...credential, audiences: [TOKEN_EXCHANGE_AUDIENCE] },
      };
      this.state.federatedCredentials.set(id.toLowerCase(), new Map([['azure-devops', { resource, createdAt }]]));
    }
    return clientId;
  }

  /** An application with its service principal, secrets and certificates expiring in the days given; returns its appId. */
  private application(
    name: string,
    how: { fics: { issuer: string; subject: string }[]; multiTenant?: boolean; secrets?: number[]; certificates?: number[] },
  ): string {
    const now = this.state.now();
    const createdAt = now - 400 * DAY;
    const appId = randomUUID();
    const resource = graphApplication({
      id: randomUUID(),
      appId,
      displayName: name,
      signInAudience: how.multiTenant ? 'AzureADMultipleOrgs' : 'AzureADMyOrg',
      uniqueName: null,
      createdAt,
    });
    const key = (days: number, index: number): Record<string, unknown> => ({
      keyId: randomUUID(),
      displayName: `key ${index + 1}`,
      startDateTime: new Date(createdAt).toISOString(),
      endDateTime: new Date(now + days * DAY).toISOString().replace(/\.\d+Z$/, 'Z'),
      hint: 'Abc',
      secretText: null,
    });
    resource.passwordCredentials = (how.secrets ?? []).map(key);
    resource.keyCredentials = (how.certificates ?? []).map((days, index) => ({
      ...key(days, index),
      type: 'AsymmetricX509Cert',
      usage: 'Verify',
      hint: undefined,
      secretText: undefined,
    }));
    const stored: StoredApplication = {
      resource,
      owners: [],
      createdAt,
      federatedCredentials: new Map(
        how.fics.map((c, index) => [
          `azure-devops-${index}`,
          { resource: { id: randomUUID(), name: `azure-devops-${index}`, ...c, description: null, audiences: [TOKEN_EXCHANGE_AUDIENCE] }, createdAt },
        ]),
      ),
    };
    this.state.applications.set(resource.id.toLowerCase(), stored);
    const principalId = randomUUID();
    this.state.addServicePrincipal(graphServicePrincipal(principalId, resource, this.state.world.tenantId), stored, [], createdAt);
    this.reader(principalId);
    return appId;
  }

  private reader(principalId: string): void {
    if (!this.grantReader) return;
    const scope = `/subscriptions/${this.state.world.subscriptionId}`;
    const assignment = roleAssignmentResource({
      scope,
      name: randomUUID(),
      roleDefinitionId: `${scope}/providers/Microsoft.Authorization/roleDefinitions/${this.state.roleByName('Reader')!.id}`,
      principalId,
      principalType: 'ServicePrincipal',
      createdBy: null,
    });
    this.state.roleAssignments.set(assignment.id.toLowerCase(), assignment);
  }
}

/**
 * A record of one use of the connection by a pipeline run that finished `finishedAt` (epoch ms), as the
 * 7.2 contract's ServiceEndpointExecutionRecord: `{ endpointId, data: { id, planType, definition, owner,
 * startTime, finishTime, result } }`.
 */
function executionRecord(endpointId: string, id: number, finishedAt: number): Record<string, unknown> {
  return {
    endpointId,
    data: {
      id,
      planType: 'Build',
      definition: { id: 7, name: 'app1-deploy' },
      owner: { id: 1000 + id, name: `app1-deploy #${id}` },
      startTime: new Date(finishedAt - 60_000).toISOString(),
      finishTime: new Date(finishedAt).toISOString(),
      result: 'succeeded',
    },
  };
}
