/**
 * What the convergence tests (crash, faults, concurrency, bad input, dry run, nothing lost) share: the
 * table of identity types they run for, the check that nothing printed holds a secret, and the canonical
 * form of the emulator's state that two worlds can be compared by. The runs themselves (System.Debug on,
 * scanned for secrets) are each tier's: `run` in tests/inprocess/runs.ts, `runSpawned` in tests/e2e/harness.ts.
 *
 * Adding an identity type to every one of those tests is one entry in IDENTITY_SCENARIOS.
 */
import { strict as assert } from 'node:assert';
import { OUTPUT_NAMES, type OutputName } from '../../src/inputNames';
import type { Emulator, ServiceName } from './emulator';
import { guidToDotNetBase64Url } from './emulator/world';
import type { TaskRun } from './taskRun';

/** One write of a clean run: what it creates, and how to recognise its request in the emulator's log. */
export interface WritePoint {
  what: string;
  service: ServiceName;
  method: string;
  /** Tested against the path with query string; ids that differ between worlds must not matter. */
  path: RegExp;
}

export interface IdentityScenario {
  /** The identityType input. */
  identityType: string;
  /** The read that finds the identity an earlier run made (held back to make two runs race). */
  identityRead: { service: ServiceName; method: 'GET'; path: RegExp };
  /** Every write a clean run of `inputs` makes, once each (concurrent ones in any order). */
  writes: readonly WritePoint[];
  /** Every delete a clean removal (action: remove) of what `inputs` made sends, once each, in order. */
  removalWrites: readonly WritePoint[];
  /** The standard request of this type: connection 'app1-dev', role scoped to resource group 'rg-app1-dev'. */
  inputs: Record<string, string>;
  /**
   * The resources that serve a connection, counted by kind ("identities", "roleAssignments", …): after a
   * good run each kind counts exactly one.
   */
  owned(emulator: Emulator, connectionName: string): Record<string, number>;
}

export const MANAGED_IDENTITY: IdentityScenario = {
  identityType: 'managedIdentity',
  identityRead: { service: 'arm', method: 'GET', path: /\/userAssignedIdentities\/[^/?]+\?/i },
  writes: [
    { what: 'the managed identity', service: 'arm', method: 'PUT', path: /\/userAssignedIdentities\/[^/?]+\?/i },
    { what: 'the role assignment', service: 'arm', method: 'PUT', path: /\/roleAssignments\/[^/?]+\?/i },
    { what: 'the service connection', service: 'devops', method: 'POST', path: /\/_apis\/serviceendpoint\/endpoints(\?|$)/i },
    { what: 'the federated credential', service: 'arm', method: 'PUT', path: /\/federatedIdentityCredentials\/[^/?]+\?/i },
  ],
  removalWrites: [
    { what: 'the role assignment', service: 'arm', method: 'DELETE', path: /\/roleAssignments\/[^/?]+\?/i },
    { what: 'the federated credential', service: 'arm', method: 'DELETE', path: /\/federatedIdentityCredentials\/[^/?]+\?/i },
    { what: 'the service connection', service: 'devops', method: 'DELETE', path: /\/_apis\/serviceendpoint\/endpoints\/[^/?]+\?/i },
    { what: 'the managed identity', service: 'arm', method: 'DELETE', path: /\/userAssignedIdentities\/[^/?]+\?/i },
  ],
  inputs: {
    bootstrapConnection: 'platform-bootstrap',
    connectionName: 'app1-dev',
    identityType: 'managedIdentity',
    identityResourceGroup: 'rg-identities',
    resourceGroup: 'rg-app1-dev',
    roleDefinitionName: 'Contributor',
  },
  owned(emulator, connectionName) {
    const state = emulator.state();
    const connections = state.serviceConnections.filter((c) => c.name.toLowerCase() === connectionName.toLowerCase());
    const tagged = state.identities.filter((i) => (i.tags['azure-devops-connection'] ?? '').endsWith(`/${connectionName.toLowerCase()}`));
    const principals = new Set(tagged.map((i) => i.properties.principalId.toLowerCase()));
    const identityIds = tagged.map((i) => `${i.id.toLowerCase()}/`);
    return {
      identities: tagged.length,
      connections: connections.length,
      federatedCredentials: state.federatedCredentials.filter((c) => identityIds.some((id) => c.id.toLowerCase().startsWith(id))).length,
      roleAssignments: state.roleAssignments.filter((a) => principals.has(a.properties.principalId.toLowerCase())).length,
    };
  },
};

/** The application name the task gives a connection's application by default (resourceNames.ts). */
const applicationName = (connectionName: string): string => `azure-devops-${connectionName}`;

export const APP_REGISTRATION: IdentityScenario = {
  identityType: 'appRegistration',
  identityRead: { service: 'graph', method: 'GET', path: /\/applications\(uniqueName=/i },
  writes: [
    { what: 'the application', service: 'graph', method: 'PATCH', path: /\/applications\(uniqueName=/i },
    { what: 'the service principal', service: 'graph', method: 'PATCH', path: /\/servicePrincipals\(appId=/i },
    { what: 'the role assignment', service: 'arm', method: 'PUT', path: /\/roleAssignments\/[^/?]+\?/i },
    { what: 'the service connection', service: 'devops', method: 'POST', path: /\/_apis\/serviceendpoint\/endpoints(\?|$)/i },
    { what: 'the federated credential', service: 'graph', method: 'PATCH', path: /\/federatedIdentityCredentials\(name=/i },
  ],
  removalWrites: [
    { what: 'the role assignment', service: 'arm', method: 'DELETE', path: /\/roleAssignments\/[^/?]+\?/i },
    { what: 'the federated credential', service: 'graph', method: 'DELETE', path: /\/federatedIdentityCredentials\(name=/i },
    { what: 'the service connection', service: 'devops', method: 'DELETE', path: /\/_apis\/serviceendpoint\/endpoints\/[^/?]+\?/i },
    { what: 'the application', service: 'graph', method: 'DELETE', path: /\/applications\/[^/?()]+$/i },
  ],
  inputs: {
    bootstrapConnection: 'platform-bootstrap',
    connectionName: 'app1-dev',
    identityType: 'appRegistration',
    resourceGroup: 'rg-app1-dev',
    roleDefinitionName: 'Contributor',
  },
  owned(emulator, connectionName) {
    const state = emulator.state();
    const connections = state.serviceConnections.filter((c) => c.name.toLowerCase() === connectionName.toLowerCase());
    const applications = state.applications.filter((a) => a.displayName === applicationName(connectionName));
    const appIds = new Set(applications.map((a) => a.appId.toLowerCase()));
    const principals = state.servicePrincipals.filter((p) => appIds.has(p.appId.toLowerCase()));
    const principalIds = new Set(principals.map((p) => p.id.toLowerCase()));
    return {
      applications: applications.length,
      servicePrincipals: principals.length,
      connections: connections.length,
      federatedCredentials: applications.reduce((sum, a) => sum + a.federatedIdentityCredentials.length, 0),
      roleAssignments: state.roleAssignments.filter((a) => principalIds.has(a.properties.principalId.toLowerCase())).length,
    };
  },
};

/** The outputs only an inventory or a migration sets (actions inventory, migrate). */
const INVENTORY_OUTPUTS: readonly OutputName[] = ['reportPath', 'connectionCount', 'findingCount', 'migratedCount'];
const PROVISIONING_OUTPUTS = OUTPUT_NAMES.filter((name) => !INVENTORY_OUTPUTS.includes(name));

/** The output variables each identity type sets, in the order task.json declares them (checked in tests/unit). */
export const OUTPUTS: Record<'managedIdentity' | 'appRegistration', readonly OutputName[]> = {
  managedIdentity: PROVISIONING_OUTPUTS.filter((name) => name !== 'applicationObjectId'),
  appRegistration: PROVISIONING_OUTPUTS,
};

/** Every identity type the task provisions; the crash, fault and concurrency tests run each of them. */
export const IDENTITY_SCENARIOS: readonly IdentityScenario[] = [MANAGED_IDENTITY, APP_REGISTRATION];

export function succeeded(run: TaskRun): void {
  assert.equal(run.result, 'Succeeded', `task failed: ${run.message}\n${run.stdout}\n${run.stderr}`);
}

/** A failure is one line that matches `message`. */
export function failed(run: TaskRun, message: RegExp): void {
  assert.equal(run.result, 'Failed', `task should have failed:\n${run.stdout}\n${run.stderr}`);
  assert.match(run.message ?? '', message);
  assert.doesNotMatch(run.message ?? '', /\n/, 'a failure is one line');
}

/** Everything the task printed, minus the commands that hand secrets to the agent's masker. */
export function printed(run: TaskRun): string {
  return (run.stdout + run.stderr)
    .split('\n')
    .filter((line) => !line.startsWith('##vso[task.setsecret]'))
    .join('\n');
}

/** What the secret scans covered, for the summary at the end of the suite. */
export const secretScan = { runs: 0, secrets: new Set<string>(), hits: 0, summaries: 0 };

/**
 * Fails when `text` holds a credential the emulator issued or received: a secret, a token, an assertion,
 * or the signature part of a token (a token cut short still leaks).
 */
function assertNoSecretIn(emulator: Emulator, text: string, where: string): void {
  for (const secret of emulator.secrets()) {
    secretScan.secrets.add(secret);
    const needles = [secret, ...(secret.split('.').length === 3 ? [secret.split('.')[2]] : [])];
    const leaked = needles.find((needle) => needle.length >= 16 && text.includes(needle));
    if (leaked) secretScan.hits += 1;
    assert.ok(!leaked, `a credential the emulator handled appears in ${where} (${secret.slice(0, 12)}…)`);
  }
}

/** Fails when anything the task printed holds a credential the emulator issued or received. */
export function assertNoSecretPrinted(emulator: Emulator, run: TaskRun): void {
  secretScan.runs += 1;
  assertNoSecretIn(emulator, printed(run), "the task's output");
}

/**
 * Fails when a summary file a run wrote holds a credential the emulator issued or received: every
 * in-process and spawned run of the task is checked (their harnesses call this), whatever its ending. A
 * summary is built from the change set and the outputs, never from an answer, so none can.
 */
export function assertNoSecretInSummaries(emulator: Emulator, run: Pick<TaskRun, 'summaries'>): void {
  secretScan.summaries += run.summaries.length;
  for (const summary of run.summaries) assertNoSecretIn(emulator, summary, 'a summary the task wrote');
}

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const ID_KEYS = ['id', 'appId', 'clientId', 'principalId', 'objectId'];

/**
 * The emulator's state with everything that differs between two worlds taken out, so that the state after
 * a crash and a re-run can be compared with the state after one clean run: the seeded ids become their
 * names in the world, generated ids become the name of what they belong to ("<identities/id-app1-dev/
 * clientId>"), ports, times and descriptors become placeholders, any other GUID becomes "<guid>". Each
 * kind of resource is a sorted list, so counts and contents are compared at once.
 */
export function canonicalState(emulator: Emulator): Record<string, string[]> {
  const state = emulator.state() as unknown as Record<string, Array<Record<string, unknown>>>;
  const labels = new Map<string, string>();
  const label = (value: unknown, name: string): void => {
    if (typeof value === 'string' && new RegExp(`^${GUID.source}$`, 'i').test(value) && !labels.has(value.toLowerCase())) {
      labels.set(value.toLowerCase(), `<${name}>`);
    }
  };
  const walkWorld = (value: unknown, path: string): void => {
    if (typeof value === 'string') label(value, `world.${path}`);
    else if (value && typeof value === 'object') for (const [key, inner] of Object.entries(value)) walkWorld(inner, path ? `${path}.${key}` : key);
  };
  walkWorld(emulator.world, '');
  // Ids are named after what owns them: the identities, applications, service principals and connections
  // first, so that a principal id is named after its service principal rather than after a role assignment
  // (whose own name is derived from that id and so differs between worlds).
  const OWNERS = ['identities', 'applications', 'servicePrincipals', 'serviceConnections'];
  const rank = (collection: string): number => (OWNERS.includes(collection) ? OWNERS.indexOf(collection) : OWNERS.length);
  for (const [collection, items] of Object.entries(state).sort(([a], [b]) => rank(a) - rank(b))) {
    for (const item of items) {
      const name = [item.name, item.displayName].find((value): value is string => typeof value === 'string') ?? '';
      const properties = (item.properties ?? {}) as Record<string, unknown>;
      for (const key of ID_KEYS) {
        label(item[key], `${collection}/${name}/${key}`);
        label(properties[key], `${collection}/${name}/${key}`);
      }
    }
  }
  const urls = (Object.entries(emulator.urls) as [string, string][]).sort(([, a], [, b]) => b.length - a.length);
  const tenant64 = guidToDotNetBase64Url(emulator.world.tenantId);
  const normalise = (text: string): string => {
    let out = text;
    for (const [service, url] of urls) out = out.split(url).join(`<${service}>/`);
    return (
      out
        .split(tenant64)
        .join('<tenant-b64>')
        // Role definition ids are the same in every world (built-in roles): they stay.
        .replace(
          GUID,
          (guid, at: number, whole: string) =>
            labels.get(guid.toLowerCase()) ?? (whole.slice(Math.max(0, at - 16), at) === 'roleDefinitions/' ? guid : '<guid>'),
        )
        .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>')
        // An application's uniqueName hashes the organization, project id and connection name (resourceNames.ts).
        .replace(/\bwic-[0-9a-f]{44}\b/g, '<uniqueName>')
        .replace(/\b(svc|aad)\.[A-Za-z0-9_-]+/g, '<descriptor>')
    );
  };
  return Object.fromEntries(Object.entries(state).map(([collection, items]) => [collection, items.map((i) => normalise(JSON.stringify(i))).sort()]));
}

/** Asserts the request converged: every resource of the connection exists once and no request deleted anything. */
export function assertConverged(emulator: Emulator, scenario: IdentityScenario, connectionName = 'app1-dev'): void {
  for (const [kind, count] of Object.entries(scenario.owned(emulator, connectionName))) {
    assert.equal(count, 1, `exactly one of ${kind} serves '${connectionName}'`);
  }
  assertNothingDeleted(emulator);
}

/** After a removal: nothing of the connection is left, and no role assignment points at a missing principal. */
export function assertRemoved(emulator: Emulator, scenario: IdentityScenario, connectionName = 'app1-dev'): void {
  for (const [kind, count] of Object.entries(scenario.owned(emulator, connectionName))) assert.equal(count, 0, `no ${kind} of '${connectionName}' is left`);
  assert.deepEqual(emulator.orphanedAssignments(), [], 'no role assignment points at a missing principal');
}

export function assertNothingDeleted(emulator: Emulator): void {
  const deletes = emulator.requests.filter((r) => r.method === 'DELETE');
  assert.deepEqual(deletes, [], 'the task never deletes anything');
}
