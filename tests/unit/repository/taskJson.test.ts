/**
 * task.json as the classic editor, the agent and the Marketplace read it: valid against the official
 * schema, every input explained and grouped, pickers bound to the bootstrap connection, and no messages:
 * every line the task prints is in the code. The README against it is readme.test.ts; the input names,
 * tests/unit/inputNames.test.ts.
 */
import { strict as assert } from 'node:assert';
import Ajv from 'ajv-draft-04';
import { read, task } from './files';

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

  it('keeps every help text to at most 300 characters, the details in the README (issue 23)', () => {
    for (const input of task.inputs)
      assert.ok((input.helpMarkDown ?? '').length <= 300, `input '${input.name}' has ${(input.helpMarkDown ?? '').length} characters of help`);
  });

  it('puts every input but the four that name the work into the six groups, in their order', () => {
    assert.deepEqual(
      task.groups.map((g) => g.name),
      ['identity', 'azure', 'devops', 'inventory', 'checks', 'advanced'],
    );
    assert.deepEqual(
      task.groups.map((g) => g.displayName),
      ['Identity', 'Azure scope and role', 'Azure DevOps connection', 'Inventory', 'Approvals and checks', 'Advanced'],
    );
    assert.deepEqual(
      task.inputs.filter((i) => !i.groupName).map((i) => i.name),
      // The subscription comes before every group: the resource group and location pickers read it.
      ['action', 'bootstrapConnection', 'connectionName', 'subscriptionId'],
    );
    for (const input of task.inputs) {
      if (input.groupName)
        assert.ok(
          task.groups.some((g) => g.name === input.groupName),
          `input '${input.name}' is in a declared group`,
        );
    }
  });

  it('hides what the inventory and the migration do not read (issues 20, 21), and shows the Inventory group for them alone', () => {
    const groups = task.groups as { name: string; visibleRule?: string }[];
    const provisioning = 'action != inventory && action != migrate';
    for (const name of ['identity', 'azure', 'checks']) assert.equal(groups.find((g) => g.name === name)?.visibleRule, provisioning, name);
    assert.equal(groups.find((g) => g.name === 'inventory')?.visibleRule, 'action = inventory || action = migrate');
    // The migration reads as the inventory does (scope, report) and names its connections; the findings' inputs are the inventory's.
    const inventoryRules: Record<string, string> = {
      inventoryScope: 'action = inventory || action = migrate',
      reportPath: 'action = inventory || action = migrate',
      migrateConnections: 'action = migrate',
    };
    for (const input of task.inputs.filter((i) => i.groupName === 'inventory'))
      assert.equal(input.visibleRule, inventoryRules[input.name] ?? 'action = inventory', input.name);
    assert.equal(task.inputs.find((i) => i.name === 'migrateConnections')?.required, true, 'no default: required where it shows');
    // What every action reads: the bootstrap connection and how Azure DevOps is reached; removeIdentity is remove's own;
    // dryRun is provision's, remove's and migrate's; verifyTimeoutSeconds bounds provision's and migrate's verifications.
    const shared = [
      'action',
      'bootstrapConnection',
      'organizationUrl',
      'project',
      'devOpsAuth',
      'devOpsTokenVariable',
      'verifyTimeoutSeconds',
      'removeIdentity',
      'dryRun',
    ];
    assert.equal(task.inputs.find((i) => i.name === 'dryRun')?.visibleRule, 'action != inventory');
    assert.equal(task.inputs.find((i) => i.name === 'verifyTimeoutSeconds')?.visibleRule, 'verifyConnection = true || action = migrate');
    for (const input of task.inputs.filter((i) => !shared.includes(i.name) && !['identity', 'azure', 'checks', 'inventory'].includes(i.groupName ?? ''))) {
      assert.equal(input.visibleRule, provisioning, input.name);
    }
  });

  it('shows the managed identity inputs only for that identity type, and every rule names a declared input', () => {
    for (const name of ['identityResourceGroup', 'identityName', 'identityLocation']) {
      assert.equal(task.inputs.find((i) => i.name === name)?.visibleRule, 'identityType = managedIdentity', name);
    }
    assert.equal(task.inputs.find((i) => i.name === 'identityResourceGroup')?.required, true, 'required where it shows');
    for (const input of task.inputs.filter((i) => i.visibleRule)) {
      // The editor refuses a rule that mixes && and || (microsoft/azure-pipelines-task-lib#871), and has no parentheses.
      assert.ok(!(input.visibleRule!.includes('&&') && input.visibleRule!.includes('||')), `visibleRule of '${input.name}' mixes && and ||`);
      for (const [, name] of input.visibleRule!.matchAll(
        /([A-Za-z][A-Za-z0-9]*)\s*(=|!=|NotEndsWith|EndsWith|Contains|NotContains|StartsWith|NotStartsWith)/g,
      )) {
        assert.ok(inputNames.includes(name), `visibleRule of '${input.name}' names the input '${name}'`);
      }
    }
  });

  it('shows an input only where it applies: names with their ids, approval settings with approvers, protection with branches', () => {
    const rules = Object.fromEntries(task.inputs.filter((i) => i.visibleRule).map((i) => [i.name, i.visibleRule!.replace(/^action = \w+ && /, '')]));
    assert.equal(rules.subscriptionName, 'subscriptionId != ""');
    assert.equal(rules.managementGroupName, 'managementGroupId != ""');
    assert.equal(rules.resourceGroup, 'managementGroupId = ""');
    for (const name of ['approvalInstructions', 'approvalTimeoutMinutes', 'minimumApprovers', 'allowSelfApproval'])
      assert.equal(rules[name], 'approvers != ""', name);
    assert.equal(rules.requireBranchProtection, 'allowedBranches != ""');
  });

  it('binds the subscription, resource group and location pickers to the bootstrap connection', () => {
    assert.deepEqual(
      task.dataSourceBindings.map((b) => [b.target, b.dataSourceName]),
      [
        ['subscriptionId', 'AzureSubscriptions'],
        ['resourceGroup', 'AzureResourceGroupsByExplicitSubscription'],
        ['identityResourceGroup', 'AzureResourceGroupsByExplicitSubscription'],
        // The picked subscription's regions: an inline URL, as the AzureRM endpoint has no locations data source by subscription.
        ['identityLocation', undefined],
      ],
    );
    assert.match(task.dataSourceBindings[3].endpointUrl ?? '', /^\{\{\{endpoint\.url\}\}\}subscriptions\/\$\(subscriptionId\)\/locations\?api-version=/);
    for (const binding of task.dataSourceBindings) {
      assert.equal(binding.endpointId, '$(bootstrapConnection)');
      const target = task.inputs.find((i) => i.name === binding.target);
      assert.equal(target?.type, 'pickList', `${binding.target} is a pick list`);
      for (const value of [...Object.values(binding.parameters ?? {}), binding.endpointUrl ?? '']) {
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

  it('has no messages: every line the task prints is plain English in the code, errors and hints included', () => {
    assert.equal(task.messages, undefined);
  });
});
