/** The command line's flags: made from INPUT_NAMES and task.json, parsed into the task's inputs, messages in flag words. */
import { strict as assert } from 'node:assert';
import { type CommandLine, flagName, flags, helpText, inFlagWords, parseCommandLine, UsageError } from '../../../src/commandLine/flags';
import { INPUT_NAMES } from '../../../src/inputNames';

function runOf(argv: string[]): CommandLine {
  const parsed = parseCommandLine(argv);
  assert.equal(parsed.kind, 'run');
  return (parsed as { commandLine: CommandLine }).commandLine;
}

describe('the command line flags', () => {
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

  it('takes every switch as --name, --no-name, --name=true|false and --name true|false (issue 23)', () => {
    const base = ['--connection-name', 'app1'];
    for (const [argv, expected] of [
      [['--verify-connection'], 'true'],
      [['--no-verify-connection'], 'false'],
      [['--verify-connection=false'], 'false'],
      [['--verify-connection=TRUE'], 'true'],
      [['--verify-connection', 'false'], 'false'],
      [['--verify-connection', 'true'], 'true'],
      [[], 'true'],
    ] as const) {
      assert.equal(runOf([...base, ...argv]).inputs.verifyConnection, expected, argv.join(' '));
    }
    assert.equal(runOf(['--dry-run', 'false', '--connection-name', 'x']).inputs.dryRun, 'false', 'a false value is not a positional');
    assert.equal(runOf(['--no-json', '--json=false']).json, false);
    assert.throws(() => parseCommandLine(['--dry-run=yes']), /--dry-run takes true or false, not 'yes'/);
    assert.throws(() => parseCommandLine(['--dry-run', '--no-dry-run']), /--dry-run is given as both true and false; give it once/);
    assert.throws(() => parseCommandLine(['--no-connection-name']), /Unknown option '--no-connection-name'/);
  });

  it('helps in its own words: switches without example values, repeatable flags repeated, and examples (issue 23)', () => {
    const help = helpText();
    assert.match(help, / {2}--verify-connection, --no-verify-connection\n {6}When on, .*Default: on\./);
    assert.doesNotMatch(help, /Example: true/);
    assert.match(help, / {2}--authorize-pipelines VALUE \(repeat the flag\)\n.*repeat the flag for each/);
    assert.doesNotMatch(help, /one per line|the job identity|the job's token|README/i);
    const examples = help.slice(help.indexOf('\nExamples:\n'));
    assert.match(examples, /--identity-resource-group rg-identities --resource-group rg-app1-dev\n/, 'the first connection');
    assert.match(examples, /--identity-type appRegistration/);
    assert.match(examples, /--dry-run\n/);
  });

  it('refuses, as usage errors, unknown flags, positional arguments, an unknown cloud, two clouds and the job token', () => {
    assert.throws(
      () => parseCommandLine(['--nope']),
      (e: Error) => e instanceof UsageError && /Unknown option '--nope'/.test(e.message),
    );
    assert.throws(() => parseCommandLine(['stray']), /'stray' is not an action\. Actions: provision/);
    assert.throws(() => parseCommandLine(['--project', 'p', 'stray']), UsageError);
    assert.throws(
      () => parseCommandLine(['--cloud', 'Mars']),
      /--cloud has the unsupported value 'Mars'\. Supported values are: AzureCloud, AzureUSGovernment, AzureChinaCloud/,
    );
    assert.throws(() => parseCommandLine(['--cloud', 'AzureCloud', '--resource-manager-url', 'https://management.azure.com/']), /name the cloud twice/);
    assert.throws(() => parseCommandLine(['--devops-auth', 'jobAccessToken']), /needs a pipeline job/);
    assert.deepEqual(parseCommandLine(['--help']), { kind: 'help' });
  });

  it('takes the action as its first word or as --action, provision without either, and refuses two different ones', () => {
    assert.equal(runOf([]).inputs.action, 'provision');
    assert.equal(runOf(['provision', '--project', 'p']).inputs.action, 'provision');
    assert.equal(runOf(['provision', '--project', 'p']).inputs.project, 'p');
    assert.equal(runOf(['--action', 'provision']).inputs.action, 'provision');
    assert.throws(() => parseCommandLine(['provision', '--action', 'remove']), /The action is given twice \('provision' and --action 'remove'\)/);
    const removal = runOf(['remove', '--connection-name', 'app1-dev', '--dry-run']).inputs;
    assert.deepEqual([removal.action, removal.connectionName, removal.dryRun], ['remove', 'app1-dev', 'true']);
    assert.match(helpText(), /\[ACTION\]/);
  });

  it('refuses a single-value flag given twice, naming the flag and both values; repeatable flags stay repeatable (issue 24, class 7)', () => {
    assert.throws(
      () => parseCommandLine(['--connection-name', 'sc-a', '--project', 'p', '--connection-name=sc-b']),
      (e: Error) =>
        e instanceof UsageError && e.message === "--connection-name is given 2 times ('sc-a', 'sc-b'); give it once. See workload-identity-connection --help.",
    );
    assert.throws(() => parseCommandLine(['--tenant-id', 't1', '--tenant-id', 't1']), /--tenant-id is given 2 times/, 'even with the same value');
    const lines = runOf(['--share-with-projects', 'a', '--share-with-projects', 'b', '--authorize-pipelines', '1', '--authorize-pipelines', '2']);
    assert.equal(lines.inputs.shareWithProjects, 'a\nb');
    assert.equal(lines.inputs.authorizePipelines, '1\n2');
  });

  it("says the task's input messages in flag words", () => {
    assert.equal(inFlagWords("Input 'connectionName' is required."), '--connection-name is required.');
    assert.equal(
      inFlagWords("Input 'managementGroupName' is set without managementGroupId; name the management group by its id too."),
      '--management-group-name is set without --management-group-id; name the management group by its id too.',
    );
    assert.equal(inFlagWords("Input 'tenantId' is required."), '--tenant-id is required.');
  });
});
