/**
 * The command line's entry: a whole run of the command as far as it goes without a network. Its parts are
 * in tests/unit/commandLine/; whole runs of the built command belong to the spawned tier (its cli.test.ts).
 */
import { strict as assert } from 'node:assert';
import { run } from '../../src/cli';
import { terminal } from './commandLine/terminal';

describe('the command line', () => {
  it('answers --version and --help with exit code 0, and a missing required flag with 2 before anything is sent', async () => {
    const version = terminal();
    assert.equal(await run(['--version'], {}, version.io), 0);
    assert.match(version.stdout.join(''), /^\d+\.\d+\.\d+/);
    const missing = terminal();
    assert.equal(await run(['--connection-name', 'c', '--project', 'p'], {}, missing.io), 2);
    assert.equal(missing.stderr.join(''), 'error: --organization-url is required.\n');
    const noIdentityGroup = terminal();
    assert.equal(await run(['--connection-name', 'c', '--project', 'p', '--organization-url', 'https://dev.azure.com/contoso'], {}, noIdentityGroup.io), 2);
    assert.equal(noIdentityGroup.stderr.join(''), 'error: --identity-resource-group is required.\n');
  });
});
