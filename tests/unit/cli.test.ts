/**
 * The command line's pure parts: flags made from INPUT_NAMES and task.json, parsing into the task's inputs,
 * messages in flag words, the cloud from ARM's metadata, the proxy from the environment, the terminal agent.
 * Whole runs of the built command are in tests/e2e/cli.test.ts.
 */
import { strict as assert } from 'node:assert';
import {
  flagName,
  flags,
  formatOutputs,
  helpText,
  inFlagWords,
  networkFromEnvironment,
  parseCommandLine,
  run,
  TerminalAgent,
  UsageError,
  type CommandLine,
} from '../../src/cli';
import { cloudFromMetadata } from '../../src/cloud';
import { INPUT_NAMES } from '../../src/inputNames';
import { parseRequest, SIGNED_IN_SCHEME, type RawTask } from '../../src/request';

function runOf(argv: string[]): CommandLine {
  const parsed = parseCommandLine(argv);
  assert.equal(parsed.kind, 'run');
  return (parsed as { commandLine: CommandLine }).commandLine;
}

/** What a terminal received. */
function terminal(isTTY = false): { stdout: string[]; stderr: string[]; io: Parameters<typeof run>[2] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, io: { stdout: { write: (t: string) => stdout.push(t) }, stderr: { write: (t: string) => stderr.push(t), isTTY } } };
}

describe('the command line', () => {
  it('has a flag for every task input but bootstrapConnection, in task.json order, kebab-cased (devOps… as devops-…)', () => {
    const inputs = flags().filter((f) => (INPUT_NAMES as readonly string[]).includes(f.input));
    assert.deepEqual(
      inputs.map((f) => f.input),
      INPUT_NAMES.filter((name) => name !== 'bootstrapConnection'),
    );
    assert.equal(flagName('devOpsTokenVariable'), 'devops-token-variable');
    assert.equal(flagName('replicationWaitSeconds'), 'replication-wait-seconds');
    const byFlag = new Map(flags().map((f) => [f.flag, f]));
    for (const repeatable of ['role-assignments', 'share-with-projects', 'authorize-pipelines']) assert.ok(byFlag.get(repeatable)?.repeatable, repeatable);
    for (const boolean of ['authorize-all-pipelines', 'dry-run', 'json']) assert.ok(byFlag.get(boolean)?.boolean, boolean);
    assert.equal(byFlag.get('role-definition-name')?.defaultValue, 'Contributor', "task.json's default");
    assert.equal(byFlag.get('project')?.defaultValue, undefined, 'a $(macro) default has no meaning outside a pipeline');
    assert.equal(byFlag.get('devops-auth')?.defaultValue, 'bootstrapIdentity');
    assert.equal(byFlag.get('devops-token-variable')?.defaultValue, 'AZURE_DEVOPS_EXT_PAT');
    for (const own of ['tenant-id', 'cloud', 'resource-manager-url', 'json', 'help', 'version']) assert.ok(byFlag.has(own), own);
  });

  it('help names every flag with its meaning, in flag words', () => {
    const help = helpText();
    for (const flag of flags()) assert.ok(help.includes(`  --${flag.flag}`), flag.flag);
    assert.doesNotMatch(help, /\bidentityResourceGroup\b|`/, 'no input names or markdown');
    assert.match(help, /Required for managedIdentity/);
  });

  it('turns flags into the inputs the task reads: repeated flags into lines, switches into true', () => {
    const commandLine = runOf([
      '--connection-name',
      'app1',
      '--role-assignments',
      'Reader@resourceGroups/rg-a',
      '--role-assignments=Reader@resourceGroups/rg-b',
      '--authorize-all-pipelines',
      '--dry-run',
      '--json',
      '--tenant-id',
      't',
    ]);
    assert.equal(commandLine.inputs.roleAssignments, 'Reader@resourceGroups/rg-a\nReader@resourceGroups/rg-b');
    assert.equal(commandLine.inputs.authorizeAllPipelines, 'true');
    assert.equal(commandLine.inputs.dryRun, 'true');
    assert.equal(commandLine.inputs.identityType, 'managedIdentity');
    assert.equal(commandLine.json, true);
    assert.equal(commandLine.tenantId, 't');
    assert.equal(commandLine.inputs.bootstrapConnection, undefined);
  });

  it('refuses, as usage errors, unknown flags, positional arguments, an unknown cloud, two clouds and the job token', () => {
    assert.throws(
      () => parseCommandLine(['--nope']),
      (e: Error) => e instanceof UsageError && /Unknown option '--nope'/.test(e.message),
    );
    assert.throws(() => parseCommandLine(['stray']), UsageError);
    assert.throws(
      () => parseCommandLine(['--cloud', 'Mars']),
      /--cloud has the unsupported value 'Mars'\. Supported values are: AzureCloud, AzureUSGovernment, AzureChinaCloud/,
    );
    assert.throws(() => parseCommandLine(['--cloud', 'AzureCloud', '--resource-manager-url', 'https://management.azure.com/']), /name the cloud twice/);
    assert.throws(() => parseCommandLine(['--devops-auth', 'jobAccessToken']), /needs a pipeline job/);
    assert.deepEqual(parseCommandLine(['--help']), { kind: 'help' });
  });

  it("says the task's input messages in flag words", () => {
    assert.equal(inFlagWords("Input 'connectionName' is required."), '--connection-name is required.');
    assert.equal(
      inFlagWords("Input 'managementGroupName' is set without managementGroupId; name the management group by its id too."),
      '--management-group-name is set without --management-group-id; name the management group by its id too.',
    );
    assert.equal(inFlagWords("Input 'tenantId' is required."), '--tenant-id is required.');
  });

  it('builds a RawTask the request parser accepts with the signed-in scheme, and refuses a tenant that is no GUID', () => {
    const raw: RawTask = {
      inputs: {
        connectionName: 'c',
        organizationUrl: 'https://dev.azure.com/contoso',
        project: 'p',
        identityResourceGroup: 'rg',
        subscriptionId: '00000000-0000-0000-0000-000000000001',
        devOpsAuth: 'bootstrapIdentity',
      },
      bootstrap: { id: 'signed-in credential', scheme: SIGNED_IN_SCHEME, parameters: { tenantid: '00000000-0000-0000-0000-000000000002' }, data: {} },
    };
    const request = parseRequest(raw);
    assert.deepEqual(request.bootstrap.auth, { scheme: 'DefaultAzureCredential', tenantId: '00000000-0000-0000-0000-000000000002' });
    assert.equal(request.bootstrap.cloud.environment, 'AzureCloud');
    assert.throws(
      () => parseRequest({ ...raw, bootstrap: { ...raw.bootstrap, parameters: { tenantid: 'contoso' } } }),
      /Input 'tenantId' 'contoso' is not a tenant id/,
    );
  });

  it('reads a cloud from ARM metadata as the Azure CLI does, and nothing from an answer without login endpoint or audience', () => {
    const cloud = cloudFromMetadata('https://management.azure.com/', {
      name: 'AzureCloud',
      resourceManager: 'https://management.azure.com/',
      authentication: {
        loginEndpoint: 'https://login.microsoftonline.com',
        audiences: ['https://management.core.windows.net/', 'https://management.azure.com/'],
      },
      microsoftGraphResourceId: 'https://graph.microsoft.com/',
    });
    assert.deepEqual(cloud, {
      environment: 'AzureCloud',
      resourceManagerUrl: 'https://management.azure.com/',
      resourceManagerAudience: 'https://management.core.windows.net/',
      authorityHost: 'https://login.microsoftonline.com/',
      graphUrl: 'https://graph.microsoft.com/',
    });
    const listed = cloudFromMetadata('https://management.usgovcloudapi.net/', [
      {
        name: 'AzureCloud',
        resourceManager: 'https://management.azure.com/',
        authentication: { loginEndpoint: 'https://login.microsoftonline.com', audiences: ['a'] },
      },
      {
        name: 'AzureUSGovernment',
        resourceManager: 'https://management.usgovcloudapi.net/',
        authentication: { loginEndpoint: 'https://login.microsoftonline.us', audiences: ['https://management.core.usgovcloudapi.net/'] },
        microsoftGraphResourceId: 'https://graph.microsoft.us/',
      },
    ]);
    assert.equal(listed?.environment, 'AzureUSGovernment', "2019-05-01's list of clouds: the entry for this ARM host");
    assert.equal(listed?.authorityHost, 'https://login.microsoftonline.us/');
    assert.equal(cloudFromMetadata('https://arm.local/', { name: 'x', authentication: {} }), undefined);
    assert.equal(cloudFromMetadata('https://arm.local/', 'not json'), undefined);
  });

  it('takes the proxy from HTTPS_PROXY and NO_PROXY as bypass patterns', () => {
    const network = networkFromEnvironment({ HTTPS_PROXY: 'http://user:p%40ss@proxy.local:3128', NO_PROXY: 'localhost,.corp.example' });
    assert.equal(network?.proxyUrl, 'http://proxy.local:3128');
    assert.equal(network?.proxyUsername, 'user');
    assert.equal(network?.proxyPassword, 'p@ss');
    const bypass = (network?.proxyBypassHosts ?? []).map((p) => new RegExp(p, 'i'));
    assert.ok(bypass.some((p) => p.test('https://dev.corp.example/contoso/')));
    assert.ok(bypass.some((p) => p.test('https://localhost:8443/')));
    assert.ok(!bypass.some((p) => p.test('https://management.azure.com/')));
    assert.deepEqual(networkFromEnvironment({}), {});
  });

  it('prints scrubbed log lines on stderr, a live status only on a terminal, and the outputs as name=value or JSON', () => {
    const plain = terminal(false);
    const raw = { inputs: {}, bootstrap: { id: 'x', parameters: {}, data: {} }, devOpsTokenVariable: { value: 'pat-secret-value-123', secret: true } };
    const agent = new TerminalAgent(raw, plain.io, false);
    agent.secret('token-abcdefgh');
    agent.info('got token-abcdefgh and pat-secret-value-123 \u001b[31mred');
    agent.debug('hidden');
    agent.fail("Input 'connectionName' is required.");
    agent.close();
    assert.deepEqual(plain.stderr, ['got *** and *** [31mred\n', 'error: --connection-name is required.\n']);
    assert.equal(agent.exitCode, 1);

    const tty = terminal(true);
    const live = new TerminalAgent(raw, tty.io, true);
    live.debug('shown');
    live.succeed('done');
    live.close();
    assert.ok(tty.stderr.some((t) => t.includes('debug: shown')));
    assert.ok(
      tty.stderr.some((t) => t.startsWith('\r\x1b[K… working (') && t.endsWith(' s)')),
      'a one-line status, rewritten in place',
    );
    assert.equal(tty.stderr[tty.stderr.length - 1], '\r\x1b[K', 'the status is cleared at the end');
    assert.equal(live.exitCode, 0);

    assert.equal(
      formatOutputs(
        [
          ['clientId', 'a'],
          ['tenantId', 'b'],
        ],
        false,
      ),
      'clientId=a\ntenantId=b\n',
    );
    assert.deepEqual(JSON.parse(formatOutputs([['clientId', 'a']], true)), { clientId: 'a' });
  });

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
