/**
 * Apply: carries out a change set, the writes in explicit concurrency groups along the critical path.
 *
 *   managed identity:  identity → (connection → credential, pipeline permissions, sharing, checks) ∥ role assignments
 *   app registration:  application → (service principal → role assignments) ∥ (connection → credential, …)
 *
 * Values that exist only after a write are filled in here: the new identity's client and principal ids,
 * the new connection's issuer and subject. After the first failure no further write starts; writes
 * already under way finish, and of the writes that failed, the one first in the change set is reported.
 */
import type { Clients } from './clients';
import { type Change, type ChangeSet, changesOf, type ConnectionChange } from './decide';
import { federatedCredentialName } from './resourceNames';
import type { ProvisioningRequest } from './request';
import { replicationPolicy } from './retry';
import { writeApplication } from './resources/application';
import { writeApplicationCredential } from './resources/applicationCredential';
import { addCheck, approvalToWire, awaitCheck, branchControlToWire, decideApproval, updateCheck, withApprovers } from './resources/checks';
import { writeFederatedCredential } from './resources/federatedCredential';
import { createIdentity } from './resources/managedIdentity';
import { grantPipelinePermissions } from './resources/pipelinePermissions';
import { createRoleAssignment, readRoleAssignment } from './resources/roleAssignment';
import { type Connection, createConnection, fromWire as connectionFromWire, untilReady, updateConnection } from './resources/serviceConnection';
import { createServicePrincipal } from './resources/servicePrincipal';
import { share } from './resources/sharing';

/** What a write did: what was planned, or, when a concurrent run got there first, what it found. */
export type Happened = 'created' | 'updated' | 'kept';

/** What the run leaves for the outputs. */
export interface Applied {
  connection: Connection;
  identity: { clientId: string; principalId: string; tenantId: string };
  /** The application's object id, for an app registration. */
  applicationObjectId?: string;
}

export async function apply(
  request: ProvisioningRequest,
  set: ChangeSet,
  clients: Clients,
  happened: (change: Change, result: Happened) => void,
): Promise<Applied> {
  const order = changesOf(set);
  const writes = new Writes((change) => order.indexOf(change));
  const replication = replicationPolicy(request.replicationWaitSeconds);
  const planned = (change: Change): Happened => (({ create: 'created', update: 'updated', keep: 'kept' }) as const)[change.action];

  /** The writes that follow the connection: the credential (on `holder`), pipeline permissions, sharing. */
  const afterConnection = async (identity: Applied['identity'], writeCredential: (issuer: Connection) => Promise<unknown>): Promise<Connection> => {
    const connection = await writes.run(set.connection, () => applyConnection(clients, set.connection, identity, request));
    happened(set.connection, connection.happened);
    const { value } = connection;
    // Another run created the connection between our read and our write: it adds the checks too, so this
    // run waits for its checks rather than adding a second of each.
    const concurrent = set.connection.action === 'create' && connection.happened !== 'created';
    const { pipelinePermissions, sharing, approvalCheck, branchControlCheck } = set;
    await writes.all([
      writes.run(set.credential, async () => {
        if (set.credential.action !== 'keep') await writeCredential(value);
        happened(set.credential, planned(set.credential));
      }),
      pipelinePermissions &&
        writes.run(pipelinePermissions, async () => {
          const change = pipelinePermissions;
          if (change.action === 'update') await grantPipelinePermissions(clients, set.connection.desired.project, value.id, change.grant);
          happened(change, planned(change));
        }),
      sharing &&
        writes.run(sharing, async () => {
          const change = sharing;
          if (change.action === 'update') {
            await share(clients, {
              connectionId: value.id,
              connectionName: value.name || request.connectionName,
              description: request.connectionDescription,
              projects: change.add,
            });
          }
          happened(change, planned(change));
        }),
      approvalCheck &&
        writes.run(approvalCheck, async () => {
          const change = approvalCheck;
          const project = set.connection.desired.project;
          if (change.action === 'create') {
            const found = concurrent ? await awaitCheck(clients, project, value.id, 'approval') : undefined;
            const add = found ? decideApproval(change.desired, found).add : [];
            if (!found) await addCheck(clients, project, value.id, 'approval', approvalToWire(value.id, change.desired));
            else if (add.length > 0) await updateCheck(clients, project, found, withApprovers(found, add));
            return happened(change, !found ? 'created' : add.length > 0 ? 'updated' : 'kept');
          }
          if (change.action === 'update') await updateCheck(clients, project, change.existing, withApprovers(change.existing, change.add));
          happened(change, planned(change));
        }),
      branchControlCheck &&
        writes.run(branchControlCheck, async () => {
          const change = branchControlCheck;
          const project = set.connection.desired.project;
          if (change.action === 'create') {
            const found = concurrent ? await awaitCheck(clients, project, value.id, 'branchControl') : undefined;
            if (!found) await addCheck(clients, project, value.id, 'branchControl', branchControlToWire(value.id, change.desired));
            return happened(change, found ? 'kept' : 'created');
          }
          happened(change, planned(change));
        }),
    ]);
    return value;
  };

  /**
   * The role assignments, once the principal they name exists. `recheck`: the principal was not new after
   * all (a read inside Graph's replication window missed it), so its grants are looked for before writing.
   */
  const assignments = (principalId: string, recheck: boolean): Promise<unknown>[] =>
    set.assignments.map((change) =>
      writes.run(change, async () => {
        if (change.action === 'keep') return happened(change, 'kept');
        const desired = { scope: change.scope, principalId, roleDefinitionId: change.role.id, roleName: change.role.name };
        if (recheck && (await readRoleAssignment(clients, desired))) return happened(change, 'kept');
        const { created } = await createRoleAssignment(clients, desired, replication);
        happened(change, created ? 'created' : 'kept');
      }),
    );

  if (set.identity.kind === 'managedIdentity') {
    const change = set.identity.identity;
    const identity = await writes.run(change, async () => {
      const value = change.action === 'create' ? await createIdentity(clients, change.desired) : change.existing;
      happened(change, planned(change));
      return value;
    });
    const facts = { clientId: identity.clientId, principalId: identity.principalId, tenantId: identity.tenantId || request.bootstrap.auth.tenantId };
    const connection = afterConnection(facts, (made) =>
      writeFederatedCredential(clients, {
        resourceGroup: change.desired.resourceGroup,
        identityName: identity.name || change.desired.name,
        ...credentialFor(made, set.credential.name),
      }),
    );
    await writes.all([connection, ...assignments(identity.principalId, false)]);
    return { connection: await connection, identity: facts };
  }

  const { application: applicationChange, servicePrincipal: principalChange } = set.identity;
  const application = await writes.run(applicationChange, async () => {
    const result =
      applicationChange.action === 'keep'
        ? { created: false, value: applicationChange.existing }
        : await writeApplication(clients, applicationChange.desired, applicationChange.existing, replication);
    happened(applicationChange, applicationChange.action === 'keep' ? 'kept' : result.created ? 'created' : 'updated');
    return { ...result, created: applicationChange.action === 'create' && result.created };
  });
  const tenantId = request.bootstrap.auth.tenantId;
  let principalId = principalChange.existing?.id ?? '';
  let principalExisted = false;
  const connection = afterConnection({ clientId: application.value.appId, principalId, tenantId }, (made) =>
    writeApplicationCredential(
      clients,
      { applicationId: application.value.id, applicationName: application.value.displayName, ...credentialFor(made, set.credential.name) },
      replication,
    ),
  );
  await writes.all([
    connection,
    writes
      .run(principalChange, async () => {
        if (principalChange.action === 'keep') return happened(principalChange, 'kept');
        const result = await createServicePrincipal(clients, application.value.appId, application.created, replication);
        principalId = result.value.id;
        principalExisted = !result.created;
        happened(principalChange, result.created ? 'created' : 'updated');
      })
      .then(() => writes.all(assignments(principalId, principalExisted))),
  ]);
  return {
    connection: await connection,
    identity: { clientId: application.value.appId, principalId, tenantId },
    applicationObjectId: application.value.id,
  };
}

/** The connection step: create, update or keep, with the identity's ids filled in. */
async function applyConnection(
  clients: Clients,
  change: ConnectionChange,
  identity: Applied['identity'],
  request: ProvisioningRequest,
): Promise<{ happened: Happened; value: Connection }> {
  const desired = { ...change.desired, clientId: identity.clientId, tenantId: identity.tenantId };
  switch (change.action) {
    case 'create': {
      const created = await createConnection(clients, desired, request.existingConnection);
      return { happened: created.action, value: created.value };
    }
    case 'update':
      return { happened: 'updated', value: await updateConnection(clients, desired, change.existing) };
    case 'keep':
      return { happened: 'kept', value: await untilReady(clients, desired.project, connectionFromWire(change.existing)) };
  }
}

/** The credential that trusts the connection's tokens: issuer and subject copied from it, never computed. */
function credentialFor(connection: Connection, name: string | undefined): { name: string; issuer: string; subject: string } {
  return { name: name ?? federatedCredentialName(connection.id), issuer: connection.issuer, subject: connection.subject };
}

/**
 * The writes of one run: each runs unless an earlier one failed, and the failure reported is that of the
 * write first in the change set.
 */
class Writes {
  private readonly failures: { position: number; error: unknown }[] = [];

  constructor(private readonly positionOf: (change: Change) => number) {}

  async run<T>(change: Change, write: () => Promise<T>): Promise<T> {
    if (this.failures.length > 0) throw new Skipped();
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof Skipped)) this.failures.push({ position: this.positionOf(change), error });
      throw error;
    }
  }

  /** Waits for all of `work` (undefined entries are steps this run does not have); then raises the first failure, if any. */
  async all(work: readonly (Promise<unknown> | undefined)[]): Promise<void> {
    const settled = await Promise.allSettled(work.map((step) => step ?? Promise.resolve()));
    if (this.failures.length > 0) throw [...this.failures].sort((a, b) => a.position - b.position)[0].error;
    const skipped = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (skipped) throw skipped.reason;
  }
}

/** A write that did not start because an earlier one failed. */
class Skipped extends Error {}
