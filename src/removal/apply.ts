/**
 * A removal's deletes, in the order that leaves no debris at any point a run may stop at: the role
 * assignments first (side by side), while their principal exists (else they linger as "Identity not
 * found"); then the federated credential, while the connection it trusts still exists (else it trusts a
 * subject nobody can use); then the connection, from every project it is in; the identity last. Each delete
 * takes "already gone" as done, so a re-run after any stop finishes the job. After the first failure no
 * later delete starts.
 */
import type { Clients } from '../clients';
import type { Removal, RemovalSet, RemovalTarget } from './decide';
import { deleteApplication } from '../resources/application';
import { deleteApplicationCredential } from '../resources/applicationCredential';
import { deleteFederatedCredential } from '../resources/federatedCredential';
import { deleteIdentity } from '../resources/managedIdentity';
import { deleteRoleAssignment } from '../resources/roleAssignment';
import { deleteConnection } from '../resources/serviceConnection';

export async function applyRemoval(set: RemovalSet, clients: Clients, done: (entry: Removal) => void): Promise<void> {
  const run = async (entry: Removal): Promise<void> => {
    if (entry.action === 'remove') await remove(clients, entry.target);
    done(entry);
  };
  const results = await Promise.allSettled(set.assignments.map(run));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  // One after another: ARM refuses concurrent credential writes under one identity.
  for (const entry of set.credentials) await run(entry);
  if (set.connection) await run(set.connection);
  if (set.identity) await run(set.identity);
}

async function remove(clients: Clients, target: RemovalTarget): Promise<void> {
  switch (target.kind) {
    case 'assignment':
      return deleteRoleAssignment(clients, target);
    case 'credential':
      return target.on.kind === 'managedIdentity'
        ? deleteFederatedCredential(clients, target.on.resourceGroup, target.on.identityName, target.name)
        : deleteApplicationCredential(clients, target.on, target.name);
    case 'connection':
      return deleteConnection(
        clients,
        target,
        target.projects.map((project) => project.id),
      );
    case 'managedIdentity':
      return deleteIdentity(clients, target.resourceGroup, target.name);
    case 'application':
      return deleteApplication(clients, target);
  }
}
