/** report: what a dry run prints, from the change set. */
import { strict as assert } from 'node:assert';
import { decide } from '../../src/decide';
import { dryRunLines, dryRunSummary } from '../../src/report';
import { parseRequest } from '../../src/request';
import { observed, rerun } from '../support/observed';
import { rawTask } from './fixtures';

describe('what a dry run prints', () => {
  const req = parseRequest(rawTask({ resourceGroup: 'rg-app1-dev' }));

  it('announces each decision in the conditional', () => {
    assert.deepEqual(dryRunLines(decide(req, observed(req)))[0], "Would create: managed identity 'id-app1-dev' in resource group 'rg-identities'.");
    assert.deepEqual(dryRunLines(decide(req, rerun(req)))[2], "Would keep: service connection 'app1-dev' (workload identity federation).");
  });

  it('closes with the count of changes, and says when everything is in place', () => {
    assert.equal(dryRunSummary(decide(req, observed(req))), 'Dry run: nothing was written. A run would create 4, update 0 and keep 0 of 4 resources.');
    assert.equal(
      dryRunSummary(decide(req, rerun(req))),
      'Dry run: nothing was written. A run would create 0, update 0 and keep 4 of 4 resources: everything is in place.',
    );
  });
});
