/**
 * The command line (package.json `bin`), run as a user's shell runs it against the emulator
 * (tests/e2e/cliHarness.ts): signed in through the Azure CLI (an `az` stand-in on PATH) or through
 * environment variables, both identity types, a re-run, a dry run, a sovereign cloud through --cloud, a
 * cloud described by ARM's metadata endpoint, usage errors, and no secret in what it prints. Few spawned
 * runs: what a run does is the task's engine, tested in process.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { flags } from '../../src/commandLine/flags';
import { Emulator } from '../support/emulator';
import { baseFlags, CLI_ENTRY, parseOutputs, runCli, type CliRun } from './cliHarness';
import { repositoryRoot } from '../support/taskRun';
import { useConnection } from '../support/useConnection';
import { validateInventoryReport } from '../support/inventorySchema';

const OUTPUTS = ['serviceConnectionName', 'serviceConnectionId', 'clientId', 'principalId', 'tenantId', 'workloadIdentityIssuer', 'workloadIdentitySubject'];

/** Nothing the emulator issued or received (secrets, tokens, assertions, PATs) appears in what was printed. */
function assertNoSecret(emu: Emulator, run: CliRun): void {
  const printed = run.stdout + run.stderr;
  for (const secret of emu.secrets()) assert.ok(!printed.includes(secret), `a secret of ${secret.length} characters was printed`);
  assert.doesNotMatch(printed, /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./, 'no JWT appears in the output');
}

function done(run: CliRun): void {
  assert.equal(run.exitCode, 0, `exit code 0; stderr:\n${run.stderr}`);
}

describe('the command line, run as a shell runs it against the emulator', function () {
  this.timeout(120_000);

  describe('in the public cloud', () => {
    let emu: Emulator;
    before(async () => {
      emu = await Emulator.start();
    });
    after(async () => {
      await emu.stop();
    });

    it("signed in through the Azure CLI, with the endpoints from ARM's metadata endpoint and the subscription and tenant from az account show, creates a managed identity connection; a re-run with --json keeps everything", async () => {
      const flagsOfRun = [...baseFlags(emu, 'platform-provisioner'), '--resource-manager-url', emu.urls.arm, '--identity-resource-group', 'rg-identities'];
      const first = await runCli(emu, flagsOfRun, { signIn: 'azureCli' });
      done(first);
      assert.ok(
        emu.requests.some((r) => r.service === 'arm' && /^\/metadata\/endpoints\?api-version=2022-09-01$/.test(r.path)),
        'the cloud is read from the metadata endpoint',
      );
      assert.ok(first.azCommands.includes('account show --output json'), 'the subscription comes from the Azure CLI');
      assert.ok(first.azCommands.some((c) => c.startsWith('account get-access-token --output json --resource 499b84ac-1321-427f-aa17-267ca6975798')));
      const outputs = parseOutputs(first.stdout);
      assert.deepEqual(Object.keys(outputs), OUTPUTS, 'the outputs on stdout as name=value lines, in the documented order');
      assert.equal(outputs.tenantId, emu.world.tenantId);
      assert.match(first.stderr, /^Created: managed identity 'id-platform-provisioner'/m, "the task's log lines on stderr");
      assert.match(first.stderr, /^Service connection 'platform-provisioner' is ready and verified\.$/m);
      assert.match(first.stderr, /^Verified: Azure DevOps signed in to Entra ID as managed identity /m);
      const connection = emu.state().serviceConnections.find((c) => c.name === 'platform-provisioner');
      assert.equal(connection?.data.subscriptionId, emu.world.subscriptionId);
      const used = await useConnection(emu, outputs.serviceConnectionId);
      assert.equal(used.status, 200, `a pipeline using the connection reaches ARM: ${JSON.stringify(used.body)}`);
      assertNoSecret(emu, first);

      const writes = emu.writes().length;
      const again = await runCli(emu, [...flagsOfRun, '--json'], { signIn: 'azureCli' });
      done(again);
      assert.equal(emu.writes().length, writes, 'a re-run writes nothing');
      assert.deepEqual(JSON.parse(again.stdout), outputs, 'one JSON object with the same outputs');
      assert.doesNotMatch(again.stderr, /^Created:/m);
      assert.match(again.stderr, /^Kept: service connection 'platform-provisioner'/m);
      assertNoSecret(emu, again);
    });

    it('signed in through environment variables (client secret, AZURE_AUTHORITY_HOST at the emulated Entra ID), creates an app registration connection without asking the Azure CLI', async () => {
      const run = await runCli(
        emu,
        [
          ...baseFlags(emu, 'app1-ci'),
          '--resource-manager-url',
          emu.urls.arm,
          '--identity-type',
          'appRegistration',
          '--subscription-id',
          emu.world.subscriptionId,
          '--resource-group',
          'rg-app1-dev',
          '--role-assignments',
          'Reader@resourceGroups/rg-identities',
          '--authorize-all-pipelines',
        ],
        { signIn: 'environment', env: { AZURE_AUTHORITY_HOST: emu.urls.login } },
      );
      done(run);
      assert.deepEqual(run.azCommands, [], 'the Azure CLI is never asked');
      const outputs = parseOutputs(run.stdout);
      assert.deepEqual(Object.keys(outputs), [...OUTPUTS, 'applicationObjectId']);
      assert.match(run.stderr, /^Created: application 'azure-devops-app1-ci'/m);
      assert.match(
        run.stderr,
        /^Created: role 'Reader' for the service principal at .*\/resourceGroups\/rg-identities/m,
        'a repeated flag is a line of the input',
      );
      const used = await useConnection(emu, outputs.serviceConnectionId);
      assert.equal(used.status, 200, JSON.stringify(used.body));
      assertNoSecret(emu, run);
    });

    it('--dry-run with a personal access token from AZURE_DEVOPS_EXT_PAT prints the plan, writes nothing, prints no outputs and never the token; the summary goes to --summary and $GITHUB_STEP_SUMMARY', async () => {
      const writes = emu.writes().length;
      const pat = emu.world.personalAccessTokens.administrator;
      const directory = mkdtempSync(join(tmpdir(), 'wic-cli-summary-'));
      const [summaryFile, stepSummary] = [join(directory, 'summary.md'), join(directory, 'step_summary')];
      writeFileSync(stepSummary, '## an earlier step\n');
      const run = await runCli(
        emu,
        [
          ...baseFlags(emu, 'app2-dev'),
          '--resource-manager-url',
          emu.urls.arm,
          '--identity-resource-group',
          'rg-identities',
          '--devops-auth',
          'personalAccessToken',
          '--dry-run',
          '--verbose',
          '--summary',
          summaryFile,
        ],
        { signIn: 'azureCli', env: { AZURE_DEVOPS_EXT_PAT: pat, GITHUB_STEP_SUMMARY: stepSummary } },
      );
      done(run);
      const summary = readFileSync(summaryFile, 'utf8');
      assert.match(summary, /^## Workload identity connection: app2\\-dev\n\n\*\*Dry run\*\*/);
      assert.match(summary, /^\| \*\*would create\*\* \| managed identity \| \[id\\-app2\\-dev\]/m);
      assert.equal(readFileSync(stepSummary, 'utf8'), `## an earlier step\n\n${summary}`, 'appended to the step summary');
      assert.ok(!summary.includes(pat), 'the token is not in the summary');
      rmSync(directory, { recursive: true, force: true });
      assert.equal(emu.writes().length, writes, 'nothing written');
      assert.equal(run.stdout, '', 'no outputs: nothing was made');
      assert.match(run.stderr, /^Would create: managed identity 'id-app2-dev'/m);
      assert.ok(
        emu.requests.some((r) => r.service === 'devops' && r.callerId !== undefined && !r.path.includes('oidctoken')),
        'Azure DevOps was reached with the token',
      );
      assert.ok(!(run.stdout + run.stderr).includes(pat), 'the token is never printed');
      assertNoSecret(emu, run);
    });

    it('answers usage errors with exit code 2 before sending anything, naming the flag', async () => {
      const before = emu.requests.length;
      const unknown = await runCli(emu, ['--connection-nam', 'x'], { signIn: 'none' });
      assert.equal(unknown.exitCode, 2);
      assert.match(unknown.stderr, /Unknown option '--connection-nam'.*--help/);
      const missing = await runCli(
        emu,
        ['--organization-url', emu.world.organization.url, '--project', 'platform', '--identity-resource-group', 'rg-identities'],
        {
          signIn: 'none',
        },
      );
      assert.equal(missing.exitCode, 2);
      assert.equal(missing.stderr.trim(), 'error: --connection-name is required.');
      assert.equal(emu.requests.length, before, 'nothing sent');
      assert.deepEqual(missing.azCommands, [], 'not even the Azure CLI asked');
    });

    it('without anyone signed in: says "not signed in" first with the fix (exit code 2, nothing sent); with tenant and subscription given, the run fails (exit code 1) saying so (issue 23)', async () => {
      const flagsOfRun = [...baseFlags(emu, 'nobody'), '--resource-manager-url', emu.urls.arm, '--identity-resource-group', 'rg-identities'];
      const noSubscription = await runCli(emu, flagsOfRun, { signIn: 'none' });
      assert.equal(noSubscription.exitCode, 2);
      assert.match(
        noSubscription.stderr,
        /^error: Not signed in: neither the environment \(AZURE_CLIENT_ID .*\) nor the Azure CLI \(ERROR: Please run 'az login' to setup account\.\) has a sign-in\. Sign in with az login, or set AZURE_TENANT_ID/,
      );
      const onlySubscription = await runCli(emu, [...flagsOfRun, '--subscription-id', emu.world.subscriptionId], { signIn: 'none' });
      assert.match(onlySubscription.stderr, /^error: Not signed in: /, 'not asked for --tenant-id first');
      const signedOut = await runCli(emu, [...flagsOfRun, '--subscription-id', emu.world.subscriptionId, '--tenant-id', emu.world.tenantId], {
        signIn: 'none',
      });
      assert.equal(signedOut.exitCode, 1);
      assert.match(signedOut.stderr, new RegExp(`not signed in: no credential was found .*Sign in with 'az login --tenant ${emu.world.tenantId}'`));
      assert.equal(signedOut.stderr.trim().split('\n').length, 1, 'one line');
    });

    it('with a wrong AZURE_CLIENT_SECRET and --json, fails naming AZURE_CLIENT_SECRET (not the service connection) and prints the failure as JSON on stdout (issue 24, classes 8 and 10)', async () => {
      const run = await runCli(
        emu,
        [...baseFlags(emu, 'wrong-secret'), '--resource-manager-url', emu.urls.arm, '--identity-resource-group', 'rg-identities', '--json'],
        {
          signIn: 'environment',
          env: { AZURE_AUTHORITY_HOST: emu.urls.login, AZURE_CLIENT_SECRET: 'not-the-secret', AZURE_SUBSCRIPTION_ID: undefined },
        },
      );
      assert.equal(run.exitCode, 1, run.stderr);
      assert.match(run.stderr, /AADSTS7000215.*The client secret in AZURE_CLIENT_SECRET is wrong/);
      assert.doesNotMatch(run.stderr, /update the service connection/);
      const printed = JSON.parse(run.stdout) as { exitCode: number; error: { message: string; operation?: string; code?: string } };
      assert.equal(printed.exitCode, 1);
      assert.equal(printed.error.code, 'AADSTS7000215');
      assert.ok(printed.error.operation, 'the failing operation is named');
      assert.ok(run.stderr.includes(printed.error.message), 'the same line as stderr');
      assertNoSecret(emu, run);
    });

    it('--help lists every flag with its meaning', async () => {
      const help = await runCli(emu, ['--help'], { signIn: 'none' });
      assert.equal(help.exitCode, 0);
      for (const flag of flags()) assert.match(help.stdout, new RegExp(`^  --${flag.flag}\\b.*\\n {6}\\S`, 'm'), `--${flag.flag} is listed with its meaning`);
      assert.match(help.stdout, /--devops-auth VALUE\n.*bootstrapIdentity \(default\)/);
    });
  });

  it('`inventory --json` prints the report of the project (validating against the schema); without --json, a table of the connections', async () => {
    const emu = await Emulator.start({ fleet: {} });
    try {
      const reportPath = join(mkdtempSync(join(tmpdir(), 'wic-inventory-')), 'report.json');
      const args = [
        'inventory',
        '--organization-url',
        emu.world.organization.url,
        '--resource-manager-url',
        emu.urls.arm,
        '--project',
        'fleet-a',
        '--report-path',
        reportPath,
      ];
      const env = { AZURE_AUTHORITY_HOST: emu.urls.login, AZURE_DEVOPS_EXT_PAT: emu.world.personalAccessTokens.administrator };
      const json = await runCli(emu, [...args, '--devops-auth', 'personalAccessToken', '--json'], { signIn: 'environment', env });
      done(json);
      const report = JSON.parse(json.stdout) as { connections: { name: string; findings: { code: string }[] }[] };
      validateInventoryReport(report);
      assert.deepEqual(report, JSON.parse(readFileSync(reportPath, 'utf8')));
      assert.deepEqual(
        report.connections.find((c) => c.name === 'wif-mi-devops')?.findings.map((f) => f.code),
        ['azureDevOpsIssuer'],
      );
      assert.deepEqual(json.azCommands, [], 'no subscription needed, the Azure CLI is never asked');
      const table = await runCli(emu, [...args, '--devops-auth', 'personalAccessToken'], { signIn: 'environment', env });
      done(table);
      assert.match(table.stdout, /^PROJECT +CONNECTION +SCHEME +ISSUER +FINDINGS\n/);
      assert.match(table.stdout, /^fleet-a +wif-mi-devops +WorkloadIdentityFederation +azureDevOps +azureDevOpsIssuer!$/m);
      assertNoSecret(emu, json);
      assertNoSecret(emu, table);

      // The same emulator for the migration (issue 21): `migrate` prepares; `migrate --dry-run` is the unit tier's
      // (tests/unit/migration/run.test.ts) and the in-process tier's (tests/inprocess/migrate.test.ts).
      const migrate = ['migrate', ...args.slice(1), '--devops-auth', 'personalAccessToken', '--migrate-connections', 'wif-mi-devops'];
      const migrated = await runCli(emu, [...migrate, '--json'], { signIn: 'environment', env });
      assert.equal(migrated.exitCode, 0, migrated.stderr);
      const outcome = (JSON.parse(migrated.stdout) as { connections: { name: string; migration: { outcome: string } }[] }).connections[0];
      assert.deepEqual([outcome.name, outcome.migration.outcome], ['wif-mi-devops', 'prepared']);
      assertNoSecret(emu, migrated);
    } finally {
      await emu.stop();
    }
  });

  it("exits with the run's own code, without a stack trace, when the reader closes stdout before the command writes (EPIPE; issue 24, class 9)", async () => {
    const child = spawn(process.execPath, [resolve(repositoryRoot(), CLI_ENTRY), '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // `… | head -0`: the reading end is gone before the first write.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exitCode = await new Promise<number | null>((done) => child.on('close', done));
    assert.equal(stderr, '', 'no EPIPE stack trace');
    assert.equal(exitCode, 0, '--help did what it does');
  });

  it("in a sovereign cloud named by --cloud, through the proxy of HTTPS_PROXY, signs in at that cloud's Entra ID", async () => {
    const emu = await Emulator.start({ cloud: 'AzureUSGovernment' });
    try {
      const run = await runCli(
        emu,
        [
          ...baseFlags(emu, 'gov-app1'),
          '--cloud',
          'AzureUSGovernment',
          '--identity-resource-group',
          'rg-identities',
          '--subscription-id',
          emu.world.subscriptionId,
        ],
        { signIn: 'environment', env: { HTTPS_PROXY: emu.proxy!.url } },
      );
      done(run);
      const connection = emu.state().serviceConnections.find((c) => c.name === 'gov-app1');
      assert.equal(connection?.data.environment, 'AzureUSGovernment');
      assert.ok(
        emu.proxy!.tunnels.some((t) => t.target === 'login.microsoftonline.us:443'),
        "signed in at the US Government cloud's Entra ID",
      );
      assert.ok(emu.proxy!.tunnels.some((t) => t.target === 'management.usgovcloudapi.net:443'));
      const used = await useConnection(emu, parseOutputs(run.stdout).serviceConnectionId);
      assert.equal(used.status, 200, JSON.stringify(used.body));
      assertNoSecret(emu, run);
    } finally {
      await emu.stop();
    }
  });

  it('npm pack yields a package that installs offline (no dependencies: everything is bundled) and whose installed command runs', function () {
    const root = repositoryRoot();
    const directory = mkdtempSync(join(tmpdir(), 'wic-pack-'));
    try {
      const [packed] = JSON.parse(
        execFileSync('npm', ['pack', '--json', '--pack-destination', directory], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
      ) as { filename: string; size: number; files: { path: string }[] }[];
      const files = packed.files.map((f) => f.path).sort();
      assert.deepEqual(files, ['LICENSE', 'README.md', 'dist/cli/workload-identity-connection.js', 'package.json']);
      const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string>; dependencies?: unknown };
      assert.equal(manifest.bin['workload-identity-connection'], 'dist/cli/workload-identity-connection.js');
      assert.equal(manifest.dependencies, undefined, 'nothing to download at install: the bundle holds every package');
      const prefix = join(directory, 'prefix');
      const tarball = join(directory, packed.filename.replace(/^.*\//, ''));
      execFileSync('npm', ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball], { cwd: directory, stdio: 'ignore' });
      // The installed command, found on PATH as a shell finds it, far from this repository's node_modules.
      const version = execFileSync('workload-identity-connection', ['--version'], {
        cwd: directory,
        encoding: 'utf8',
        env: { PATH: [join(prefix, 'bin'), dirname(process.execPath), '/usr/bin', '/bin'].join(':') },
      });
      assert.match(version, /^\d+\.\d+\.\d+/);
      this.test!.title += ` (${Math.round(packed.size / 1024)} KiB packed)`;
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
