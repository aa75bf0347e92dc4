/**
 * task.json as the classic editor, the agent and the Marketplace read it: valid against the official
 * schema, every input explained and grouped, pickers bound to the bootstrap connection, the task's
 * messages in step with the code, and every input and output documented in the README.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv from 'ajv-draft-04';
import { INPUT_NAMES, OUTPUT_NAMES } from '../../src/inputNames';

const ROOT = resolve(__dirname, '..', '..', '..');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8').replace(/^\uFEFF/, '');

interface TaskInput {
  name: string;
  type: string;
  label: string;
  required?: boolean;
  defaultValue?: string | boolean;
  groupName?: string;
  visibleRule?: string;
  helpMarkDown?: string;
}
interface TaskJson {
  instanceNameFormat: string;
  groups: { name: string; displayName: string }[];
  inputs: TaskInput[];
  outputVariables: { name: string; description?: string }[];
  dataSourceBindings: { target: string; endpointId: string; dataSourceName: string; parameters?: Record<string, string> }[];
  messages?: Record<string, string>;
}

const task = JSON.parse(read('task.json')) as TaskJson;
const inputNames = task.inputs.map((i) => i.name);

function compileSchema(): ReturnType<Ajv['compile']> {
  const schema = JSON.parse(read('tests/schemas/tasks.schema.json')) as object;
  // The schema's patterns use escapes that are invalid under the `u` flag (`connectedService\:`), and
  // `defaultValue` is typed ["string", "boolean"]: plain RegExp and union types, as the schema intends.
  return new Ajv({ allErrors: true, unicodeRegExp: false, allowUnionTypes: true }).compile(schema);
}

describe('task.json', () => {
  it('is valid against the official tasks.schema.json (draft-04)', () => {
    const validate = compileSchema();
    assert.ok(validate(task), JSON.stringify(validate.errors, null, 2));
    const broken = structuredClone(task) as unknown as { inputs: Record<string, unknown>[] };
    broken.inputs[0].helpMarkdown = 'misspelt key';
    assert.ok(!validate(broken), 'the validator refuses a property the schema does not know');
  });

  it('explains every input: what it is, and its default unless it is required', () => {
    for (const input of task.inputs) {
      assert.ok(input.helpMarkDown && input.helpMarkDown.trim().length > 20, `input '${input.name}' has help`);
      if (!input.required) assert.match(input.helpMarkDown, /default/i, `input '${input.name}' states its default`);
    }
  });

  it('puts every input but the two that name the work into the five groups, in their order', () => {
    assert.deepEqual(
      task.groups.map((g) => g.name),
      ['identity', 'azure', 'devops', 'checks', 'advanced'],
    );
    assert.deepEqual(
      task.groups.map((g) => g.displayName),
      ['Identity', 'Azure scope and role', 'Azure DevOps connection', 'Approvals and checks', 'Advanced'],
    );
    assert.deepEqual(
      task.inputs.filter((i) => !i.groupName).map((i) => i.name),
      ['bootstrapConnection', 'connectionName'],
    );
    for (const input of task.inputs) {
      if (input.groupName)
        assert.ok(
          task.groups.some((g) => g.name === input.groupName),
          `input '${input.name}' is in a declared group`,
        );
    }
  });

  it('shows the managed identity inputs only for that identity type, and every rule names a declared input', () => {
    for (const name of ['identityResourceGroup', 'identityName', 'identityLocation']) {
      assert.equal(task.inputs.find((i) => i.name === name)?.visibleRule, 'identityType = managedIdentity', name);
    }
    for (const input of task.inputs.filter((i) => i.visibleRule)) {
      for (const [, name] of input.visibleRule!.matchAll(
        /([A-Za-z][A-Za-z0-9]*)\s*(=|!=|NotEndsWith|EndsWith|Contains|NotContains|StartsWith|NotStartsWith)/g,
      )) {
        assert.ok(inputNames.includes(name), `visibleRule of '${input.name}' names the input '${name}'`);
      }
    }
  });

  it('binds the subscription, resource group and location pickers to the bootstrap connection', () => {
    assert.deepEqual(
      task.dataSourceBindings.map((b) => [b.target, b.dataSourceName]),
      [
        ['subscriptionId', 'AzureSubscriptions'],
        ['resourceGroup', 'AzureResourceGroupsByExplicitSubscription'],
        ['identityResourceGroup', 'AzureResourceGroupsByExplicitSubscription'],
        ['identityLocation', 'AzureLocations'],
      ],
    );
    for (const binding of task.dataSourceBindings) {
      assert.equal(binding.endpointId, '$(bootstrapConnection)');
      const target = task.inputs.find((i) => i.name === binding.target);
      assert.equal(target?.type, 'pickList', `${binding.target} is a pick list`);
      for (const value of Object.values(binding.parameters ?? {})) {
        for (const [, name] of value.matchAll(/\$\(([^)]+)\)/g)) assert.ok(inputNames.includes(name), `parameter names the input '${name}'`);
      }
    }
  });

  it('names the connection in the step title', () => {
    assert.match(task.instanceNameFormat, /\$\(connectionName\)/);
  });

  it('keeps pipeline permissions off by default: opening a connection to every pipeline is the user’s choice', () => {
    const all = task.inputs.find((i) => i.name === 'authorizeAllPipelines');
    assert.equal(all?.type, 'boolean');
    assert.equal(String(all?.defaultValue), 'false');
    assert.equal(task.inputs.find((i) => i.name === 'authorizePipelines')?.defaultValue ?? '', '');
  });

  it('declares exactly the inputs the agent module reads and the outputs the report sets, in the same order', () => {
    assert.deepEqual(
      task.inputs.map((input) => input.name),
      [...INPUT_NAMES],
    );
    assert.deepEqual(
      (task.outputVariables ?? []).map((output) => output.name),
      [...OUTPUT_NAMES],
    );
  });

  it('has no messages: every line the task prints is plain English in the code, errors and hints included', () => {
    assert.equal(task.messages, undefined);
  });
});

describe('README', () => {
  const readme = read('README.md');

  /** The first-column names of the table under a heading. */
  function tableNames(heading: string): string[] {
    const section = readme.split(/^#+ /m).find((s) => s.startsWith(`${heading}\n`));
    assert.ok(section, `the README has a section '${heading}'`);
    return section
      .split('\n')
      .filter((line) => /^\|\s*`[^`]+`/.test(line))
      .map((line) => /^\|\s*`([^`]+)`/.exec(line)![1]);
  }

  it('documents every input in its Inputs table, and no input that does not exist', () => {
    assert.deepEqual(tableNames('Inputs').sort(), [...inputNames].sort());
  });

  it('documents every output variable in its Outputs table, and no other', () => {
    assert.deepEqual(tableNames('Outputs').sort(), task.outputVariables.map((o) => o.name).sort());
  });
});
