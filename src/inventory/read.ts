/**
 * Every read of an inventory, side by side: the projects, each project's connections (one entry per
 * connection, under its owning project, however many projects it is shared into), then for each connection
 * at once its last use, its identity (batched, src/inventory/identities.ts) and, when asked, its
 * verification, all verifications within verifyTimeoutSeconds together. At most DEVOPS_IN_FLIGHT Azure
 * DevOps requests are in flight (src/clients/devops.ts paced). Nothing here decides anything: classify.ts does.
 */
import type { Clients } from '../clients';
import type { InventoryRequest } from '../requestInventory';
import { connectionFromWire, type DevOpsReads, listConnections, listProjects, type ProjectRef, readLastUse, readProject, testConnection } from './connections';
import { identityReader } from './identities';
import { type ConnectionRead, type InventoryRead, isUnreadable, type Verified } from './model';

/** Azure DevOps requests in flight at most (issue 20: 16). */
export const DEVOPS_IN_FLIGHT = 16;

/** The schemes whose connection names a client id of the tenant to look up. */
const IDENTITY_SCHEMES = ['workloadidentityfederation', 'serviceprincipal'];

export async function readInventory(request: InventoryRequest, clients: Clients, log: (line: string) => void): Promise<InventoryRead> {
  const reads: DevOpsReads = { clock: clients.clock, devops: clients.devops.paced(DEVOPS_IN_FLIGHT, clients.clock) };
  const tenantId = request.bootstrap.auth.tenantId;
  const identities = identityReader(clients, tenantId);
  const projects: ProjectRef[] = request.scope === 'organization' ? await listProjects(reads) : [await readProject(reads, request.project)];
  const unreadProjects: InventoryRead['unreadProjects'] = [];
  const byId = new Map<string, ConnectionRead>();
  // Each read's outcome, taken as it starts: a read that fails while the projects are still being listed is
  // held here, never left without a handler (Node ends a process on an unhandled rejection), and waited for.
  const pending: Promise<PromiseSettledResult<unknown>>[] = [];
  const track = (read: Promise<unknown>): void => {
    pending.push(
      read.then(
        (value): PromiseSettledResult<unknown> => ({ status: 'fulfilled', value }),
        (reason: unknown): PromiseSettledResult<unknown> => ({ status: 'rejected', reason }),
      ),
    );
  };
  const verifyUntil = request.verify ? clients.clock.now() + request.verify.timeoutSeconds * 1000 : undefined;

  const follow = (entry: ConnectionRead): void => {
    const { connection } = entry;
    track(readLastUse(reads, connection).then((lastUse) => (entry.lastUse = lastUse)));
    // An identity of another cloud or tenant is not this tenant's Graph's to describe: it is left unknown.
    const sameCloud = !connection.environment || connection.environment.toLowerCase() === request.bootstrap.cloud.environment.toLowerCase();
    const sameTenant = !connection.tenantId || connection.tenantId.toLowerCase() === tenantId.toLowerCase();
    if (connection.clientId && sameCloud && sameTenant && IDENTITY_SCHEMES.includes(connection.scheme.toLowerCase())) {
      track(identities.identity(connection.clientId).then((identity) => (entry.identity = identity)));
    }
    // A disabled connection, or one the run may not see whole, is not asked: its finding says so already.
    if (verifyUntil !== undefined && !connection.isDisabled && !connection.partial) {
      track(verifyWithin(reads, entry, verifyUntil).then((verified) => (entry.verified = verified)));
    }
  };

  const listings = Promise.allSettled(
    projects.map(async (project) => {
      const listed = await listConnections(reads, project);
      if (isUnreadable(listed)) {
        unreadProjects.push({ name: project.name, unreadable: listed });
        return;
      }
      for (const wire of listed) {
        const connection = connectionFromWire(wire, project);
        if (byId.has(connection.id.toLowerCase())) continue;
        const entry: ConnectionRead = { connection };
        byId.set(connection.id.toLowerCase(), entry);
        follow(entry);
      }
    }),
  );
  // A listing that fails for good fails the run, as any read does; every other read is awaited first, so
  // nothing is left running when the run ends.
  const listed = await listings;
  identities.flush();
  const settled = [...listed, ...(await Promise.all(pending))];
  const failed = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
  const connections = [...byId.values()].sort(
    (a, b) => a.connection.project.name.localeCompare(b.connection.project.name) || a.connection.name.localeCompare(b.connection.name),
  );
  log(
    `Read ${connections.length} service connection${connections.length === 1 ? '' : 's'} in ${projects.length - unreadProjects.length} project${projects.length === 1 ? '' : 's'} (${reads.devops.stats.sent} Azure DevOps requests, at most ${reads.devops.stats.peak} at once; ${identities.requests.graph} Microsoft Graph $batch requests; ${identities.requests.arm} ARM requests).`,
  );
  return {
    organizationUrl: request.devops.organizationUrl,
    projects: projects.filter((p) => !unreadProjects.some((u) => u.name === p.name)).map((p) => p.name),
    unreadProjects,
    connections,
    requests: { devops: reads.devops.stats.sent, graph: identities.requests.graph, arm: identities.requests.arm },
  };
}

/**
 * TestConnection, unless the run's verification bound (verifyTimeoutSeconds for all of them) has passed
 * before this one's turn came: then it says it was not asked in time.
 */
async function verifyWithin(reads: DevOpsReads, entry: ConnectionRead, until: number): Promise<Verified> {
  if (reads.clock.now() >= until) return { ok: false, message: 'not verified: verifyTimeoutSeconds passed before Azure DevOps was asked' };
  return testConnection(reads, entry.connection);
}
