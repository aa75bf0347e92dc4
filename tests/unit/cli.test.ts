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

  it('with --json, a usage error is also one JSON object on stdout with its message and exit code (issue 24, class 8)', async () => {
    for (const argv of [
      ['--json', '--nope'],
      ['--connection-name', 'a', '--connection-name', 'b', '--json'],
      ['--json', '--connection-name', 'c'],
    ]) {
      const shown = terminal();
      assert.equal(await run(argv, {}, shown.io), 2);
      const printed = JSON.parse(shown.stdout.join('')) as { exitCode: number; error: { message: string } };
      assert.equal(printed.exitCode, 2);
      assert.equal(`error: ${printed.error.message}\n`, shown.stderr.join(''), 'the same words as stderr');
    }
    const plain = terminal();
    assert.equal(await run(['--nope'], {}, plain.io), 2);
    assert.deepEqual(plain.stdout, [], 'without --json, stdout stays empty');
  });

  it('refuses a malformed HTTPS_PROXY as a usage error naming it, before anything is sent (issue 24, class 10)', async () => {
    const shown = terminal();
    const argv = ['--organization-url', 'https://dev.azure.com/contoso', '--project', 'p', '--connection-name', 'c', '--identity-resource-group', 'rg'];
    const ids = ['--tenant-id', '00000000-0000-0000-0000-000000000001', '--subscription-id', '00000000-0000-0000-0000-000000000002'];
    assert.equal(await run([...argv, ...ids], { HTTPS_PROXY: 'proxy.local:3128' }, shown.io), 2);
    assert.match(shown.stderr.join(''), /^error: HTTPS_PROXY 'proxy\.local:3128' is not a proxy URL/);
  });
});
