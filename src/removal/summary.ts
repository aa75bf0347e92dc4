/**
 * A removal's summary (`removalSummary`), beside provisioning's (`provisioningSummary` in src/summary.ts):
 * what the run found (the connection's last use), each entry of its change set with what happened to it
 * (removed, kept; would remove or keep in a dry run), and how it ended. Built only from the typed result, with
 * the helpers of src/markdown.ts, so no service text reaches it.
 */
import { table, text } from '../markdown';
import type { Removal, RemovalSet } from './decide';
import { type Ending, type Summary, titleOf } from '../summary';

/** What a removal knew when it ended: the action fills it in as the run goes. */
export interface RemovalRun {
  connectionName?: string;
  /** The connection's last use in words ("last used 3 days ago by pipeline app1-deploy"), once read. */
  lastUse?: string;
  changes?: RemovalSet;
  /** Each entry whose delete (or keep) is done, in order. */
  done: Removal[];
}

const KIND: Record<Removal['target']['kind'], string> = {
  assignment: 'role assignment',
  credential: 'federated credential',
  connection: 'service connection',
  managedIdentity: 'managed identity',
  application: 'app registration',
};

export function removalSummary(run: RemovalRun, ending: Ending): Summary {
  const title = titleOf(run.connectionName);
  const words = { Succeeded: 'Succeeded', SucceededWithIssues: 'Succeeded with issues', DryRun: 'Dry run', Failed: 'Failed' }[ending.result];
  const lines = [`## ${text(title)}`, '', `**${words}**: ${text(ending.message.replace(/^Dry run:\s*/, ''))}`];
  if (run.lastUse) lines.push('', `- Connection: ${text(run.lastUse)}`);
  const entries = run.changes
    ? [
        ...run.changes.assignments,
        ...run.changes.credentials,
        ...(run.changes.connection ? [run.changes.connection] : []),
        ...(run.changes.identity ? [run.changes.identity] : []),
      ]
    : [];
  const happened = (entry: Removal): string | undefined => {
    if (ending.result === 'DryRun') return entry.action === 'remove' ? 'would remove' : 'would keep';
    if (!run.done.includes(entry)) return undefined;
    return entry.action === 'remove' ? 'removed' : 'kept';
  };
  const rows = entries.flatMap((entry) => {
    const what = happened(entry);
    return what === undefined ? [] : [[`**${what}**`, KIND[entry.target.kind], text(entry.what), entry.note ? text(entry.note) : '—']];
  });
  lines.push('', ending.result === 'Failed' ? '### Done before the failure' : '### Resources', '');
  lines.push(...(rows.length > 0 ? table(['', 'resource', 'what', 'note'], rows) : ['Nothing was removed.']));
  if (ending.result === 'Failed') {
    lines.push('', '**Re-run** the task once the cause is fixed: it reads what is left and removes the rest, in the same order.');
  }
  return { title, markdown: `${lines.join('\n')}\n` };
}
