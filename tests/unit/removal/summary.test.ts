import { strict as assert } from 'node:assert';
import type { Removal, RemovalSet } from '../../../src/removal/decide';
import { removalSummary } from '../../../src/removal/summary';

const connection: Removal<Extract<Removal['target'], { kind: 'connection' }>> = {
  action: 'remove',
  what: "service connection 'app1-dev' from project 'platform'",
  needs: [],
  target: { kind: 'connection', id: 'c', name: 'app1-dev', projects: [{ id: 'p', name: 'platform' }] },
};
const identity: RemovalSet['identity'] = {
  action: 'remove',
  what: "application 'azure-devops-app1-dev' (client id x) with its service principal",
  note: 'Entra ID keeps it in its deleted items for 30 days, where it can be restored',
  needs: [],
  target: { kind: 'application', id: 'o', appId: 'x', displayName: 'azure-devops-app1-dev' },
};
const set: RemovalSet = { assignments: [], credentials: [], connection, identity, identityWords: "application 'azure-devops-app1-dev'" };

describe('removalSummary', () => {
  it('shows the last use and a row per resource, removed or would remove, escaped', () => {
    const done = removalSummary(
      { connectionName: 'app1-dev', lastUse: 'last used 3 days ago by pipeline app1-deploy', changes: set, done: [connection, identity] },
      { result: 'Succeeded', message: 'Removed.' },
    );
    assert.equal(done.title, 'Workload identity connection: app1-dev');
    assert.match(done.markdown, /- Connection: last used 3 days ago by pipeline app1\\-deploy/);
    assert.match(
      done.markdown,
      /\| \*\*removed\*\* \| app registration \| .* \| Entra ID keeps it in its deleted items for 30 days, where it can be restored \|/,
    );
    const dry = removalSummary({ connectionName: 'app1-dev', changes: set, done: [] }, { result: 'DryRun', message: 'Dry run: nothing was written.' });
    assert.equal(dry.markdown.match(/\*\*would remove\*\*/g)?.length, 2);
  });

  it('lists what was done before a failure, and the re-run advice', () => {
    const failed = removalSummary(
      { connectionName: 'app1-dev', changes: set, done: [connection] },
      { result: 'Failed', message: 'Could not remove the application.' },
    );
    assert.match(failed.markdown, /### Done before the failure/);
    assert.doesNotMatch(failed.markdown, /app registration/);
    assert.match(failed.markdown, /\*\*Re-run\*\*/);
    assert.match(removalSummary({ connectionName: 'x', done: [] }, { result: 'Failed', message: 'no' }).markdown, /Nothing was removed\./);
  });
});
