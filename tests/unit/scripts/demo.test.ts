/** `npm run demo -- --cli <flags>`: the flags given reach the command (issue 23). */
import { strict as assert } from 'node:assert';
import { demoArgs } from '../../../scripts/demo';

describe('the command line demo', () => {
  const defaults = [
    '--project',
    'platform',
    '--connection-name',
    'platform-provisioner',
    '--role-assignments',
    'A@rg',
    '--resource-manager-url',
    'https://arm',
  ];

  it("passes the flags given through, in place of Getting started's of the same name, switches included", () => {
    assert.deepEqual(demoArgs(defaults, []), defaults);
    assert.deepEqual(demoArgs(defaults, ['--dry-run']), [...defaults, '--dry-run']);
    assert.deepEqual(demoArgs(defaults, ['inventory', '--json']), ['inventory', ...defaults, '--json'], 'the action word first');
    assert.deepEqual(demoArgs(defaults, ['--connection-name', 'mine', '--role-assignments=B@rg', '--no-verify-connection']), [
      '--project',
      'platform',
      '--resource-manager-url',
      'https://arm',
      '--connection-name',
      'mine',
      '--role-assignments=B@rg',
      '--no-verify-connection',
    ]);
  });
});
