/**
 * The story of a removal (action: remove): read everything, decide one removal change set (refusing a
 * connection this task did not make), say what the connection was last used for, preflight every delete,
 * then delete in order (src/removal/apply.ts). A dry run says what it would remove and writes nothing.
 */
import type { Agent } from '../agent';
import { createClients } from '../clients';
import type { Clock } from '../clock';
import { assertPermitted } from '../preflight';
import type { RawTask } from '../rawTask';
import { decideRemoval, parseRemovalRequest, type Removal, removalsOf, type RemovalSet, toRemove } from '../removal/decide';
import { applyRemoval } from '../removal/apply';
import { readForRemoval } from '../removal/read';
import { type RemovalRun, removalSummary } from '../removal/summary';
import { lastUseWords } from '../resources/connectionUse';
import type { Ending } from '../summary';
import type { TaskAction } from '.';
import { end, failed } from './ending';

export const remove: TaskAction = { check: parseRemovalRequest, run: removeRun };

async function removeRun(agent: Agent, clock: Clock, task: RawTask): Promise<void> {
  const run: RemovalRun = { connectionName: task.inputs.connectionName, done: [] };
  try {
    const request = parseRemovalRequest(task);
    run.connectionName = request.connectionName;
    const clients = createClients(request, (secret) => agent.secret(secret), clock);
    const observed = await readForRemoval(request, clients);
    const changes = decideRemoval(request, observed);
    if (observed.connection) {
      run.lastUse = `service connection '${request.connectionName}' (id ${observed.connection.id ?? ''}): ${lastUseWords(observed.lastUse, clock.now())}`;
      agent.info(`Checked: ${run.lastUse}; it signs in as ${changes.identityWords}, which this task made for it.`);
    }
    run.changes = changes;
    // The preflight: every delete of the change set is checked before the first one is sent.
    assertPermitted(
      removalsOf(changes).flatMap((entry) => (entry.action === 'remove' ? entry.needs : [])),
      'before any write',
    );
    const count = toRemove(changes);
    if (count === 0) {
      removalsOf(changes).forEach((entry) => agent.info(line(entry, false)));
      return finish(agent, run, { result: 'Succeeded', message: nothingLine(request.connectionName, observed.project.name, changes) });
    }
    if (request.dryRun) {
      removalsOf(changes).forEach((entry) => agent.info(line(entry, true)));
      const kept = removalsOf(changes).length - count;
      return finish(agent, run, {
        result: 'DryRun',
        message: `Dry run: nothing was written. A run would remove ${count} and keep ${kept} of ${removalsOf(changes).length} resources.`,
      });
    }
    await applyRemoval(changes, clients, (entry) => {
      run.done.push(entry);
      agent.info(line(entry, false));
    });
    const kept = removalsOf(changes).filter((entry) => entry.action === 'keep');
    finish(agent, run, {
      result: 'Succeeded',
      message: `Removed service connection '${request.connectionName}' and what this task made for it: ${count} ${count === 1 ? 'resource' : 'resources'}${kept.length > 0 ? `; kept ${kept.map((entry) => entry.what.split(' (')[0]).join(', ')}` : ''}.`,
    });
  } catch (error) {
    failed(agent, error, (ending) => removalSummary(run, ending));
  }
}

/** The log line of an entry: "Removed: …", "Kept: …: why", or in a dry run "Would remove: …". */
export function line(entry: Removal, dryRun: boolean): string {
  const verb = entry.action === 'remove' ? (dryRun ? 'Would remove' : 'Removed') : dryRun ? 'Would keep' : 'Kept';
  return `${verb}: ${entry.what}${entry.note ? `: ${entry.note}` : ''}.`;
}

/** The closing line when nothing is left to remove: the connection is gone, and so is the identity (or it stays). */
export function nothingLine(connectionName: string, projectName: string, changes: RemovalSet): string {
  const identity = changes.identity
    ? `${changes.identity.what.split(' (')[0]} stays (${changes.identity.note ?? 'kept'})`
    : `no ${changes.identityWords} this task made for it`;
  return `Nothing to remove: no service connection '${connectionName}' in project '${projectName}', and ${identity}.`;
}

function finish(agent: Agent, run: RemovalRun, ending: Ending): void {
  end(agent, ending, (ending) => removalSummary(run, ending));
}
