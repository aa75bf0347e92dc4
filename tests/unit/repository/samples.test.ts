/**
 * The samples and the Marketplace page stay true to task.json: every input they set exists, the task's
 * required inputs are set, every output they read is declared, and the classic-editor page names every
 * input and group as the editor shows them.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { ROOT, task } from './files';

const SAMPLES = join(ROOT, 'samples');
const TASK = 'WorkloadIdentityConnection@1';
const outputs = task.outputVariables.map((o) => o.name);

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? yamlFiles(join(dir, entry.name)) : entry.name.endsWith('.yml') ? [join(dir, entry.name)] : [],
  );
}

/** A step's inputs with conditional insertions (`${{ if … }}:` keys) flattened into it. */
function flatInputs(inputs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(inputs).flatMap(([key, value]) =>
      key.startsWith('${{') && typeof value === 'object' && value !== null ? Object.entries(flatInputs(value as Record<string, unknown>)) : [[key, value]],
    ),
  );
}

/** Every `- task: WorkloadIdentityConnection@1` step in a parsed pipeline, however deep (templates, each-loops). */
function taskSteps(node: unknown): { name?: string; inputs: Record<string, unknown> }[] {
  if (Array.isArray(node)) return node.flatMap(taskSteps);
  if (typeof node !== 'object' || node === null) return [];
  const record = node as Record<string, unknown>;
  const own = record.task === TASK ? [{ name: record.name as string | undefined, inputs: flatInputs((record.inputs ?? {}) as Record<string, unknown>) }] : [];
  return [...own, ...Object.values(record).flatMap(taskSteps)];
}

/**
 * Whether an input shows, and so whether its required marker applies, for a step's inputs: its visibleRule's
 * `name = value` / `name != value` conditions joined by && or by || (a value `""` is empty); a condition on a template
 * expression (`${{ … }}`) may hold either way, so it is taken to hold.
 */
function applies(input: (typeof task.inputs)[number], inputs: Record<string, unknown>): boolean {
  // A rule joins its conditions by && or by || (never both: taskJson.test.ts).
  return (input.visibleRule ?? '').split('||').some((alternative) =>
    alternative.split('&&').every((condition) => {
      const match = /^\s*(\w+)\s*(!=|=)\s*(.*?)\s*$/.exec(condition);
      if (!match) return true;
      const [, name, operator, expected] = match;
      const value = inputs[name] ?? task.inputs.find((i) => i.name === name)?.defaultValue ?? '';
      const given = typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number' ? String(value) : JSON.stringify(value);
      if (given.includes('${{')) return true;
      const equal = given.trim().toLowerCase() === expected.replace(/^""$/, '').toLowerCase();
      return operator === '=' ? equal : !equal;
    }),
  );
}

/** Groups every project or organization has; any other group a sample names, it makes itself. */
const BUILT_IN_GROUPS = [
  'Project Administrators',
  'Contributors',
  'Readers',
  'Build Administrators',
  'Project Valid Users',
  'Project Collection Administrators',
  'Project Collection Valid Users',
];

describe('samples', () => {
  const files = yamlFiles(SAMPLES);

  it('hold a bootstrap pipeline, a project-creation template and a pipeline using it', () => {
    const names = files.map((f) => f.slice(SAMPLES.length + 1));
    for (const expected of ['bootstrap-connections.yml', 'templates/project-connection.yml', 'new-project.yml']) assert.ok(names.includes(expected), expected);
  });

  for (const file of yamlFiles(SAMPLES)) {
    const relative = file.slice(ROOT.length + 1);
    it(`${relative}: parses, and sets only declared inputs, every required one, and reads only declared outputs`, () => {
      const text = readFileSync(file, 'utf8');
      const steps = taskSteps(load(text));
      for (const step of steps) {
        for (const name of Object.keys(step.inputs))
          assert.ok(
            task.inputs.some((i) => i.name === name),
            `${relative} sets the unknown input '${name}'`,
          );
        for (const input of task.inputs.filter((i) => i.required && i.defaultValue === undefined && applies(i, step.inputs))) {
          assert.ok(input.name in step.inputs, `${relative} sets the required input '${input.name}'`);
        }
      }
      // Output references: $(wif.x), $(wif_${{ … }}.x), outputs['wif.x'].
      for (const [, output] of text.matchAll(/\bwif(?:_[\w${}. ]*?)?\.([A-Za-z]+)\b(?=\)|'\])/g)) {
        assert.ok(outputs.includes(output), `${relative} reads the undeclared output '${output}'`);
      }
    });
  }

  it('name only groups that exist at that point, each with a comment: built in, or made by the sample first (issue 23)', () => {
    const texts = files.map((file) => readFileSync(file, 'utf8'));
    let named = 0;
    for (const [index, text] of texts.entries()) {
      const lines = text.split('\n');
      for (const [at, line] of lines.entries()) {
        for (const [, group] of line.matchAll(/\[[^\]'"]+\]\\{1,2}(?:\$\{\{ *[\w.]+ *\}\}|([A-Za-z][\w ]*[\w]))/g)) {
          if (line.trimStart().startsWith('#') || group === undefined) continue;
          named += 1;
          const where = `${files[index].slice(ROOT.length + 1)}:${at + 1} '${group}'`;
          const made = texts.some((t) => new RegExp(`security group create[^\\n]*(\\n[^\\n]*){0,2}--name "${group}"`).test(t));
          assert.ok(BUILT_IN_GROUPS.includes(group) || made, `${where}: a group no project has, which no sample makes`);
          assert.ok(
            lines.slice(Math.max(0, at - 4), at + 1).some((l) => l.includes('#')),
            `${where}: a comment says where the group comes from`,
          );
        }
      }
      for (const [, group] of text.matchAll(/approverGroup: ([A-Za-z][\w ]*\w)/g)) {
        named += 1;
        assert.ok(BUILT_IN_GROUPS.includes(group), `${files[index]}: '${group}' is a group every project has`);
      }
    }
    assert.ok(named >= 2, 'the samples name approver groups');
  });

  it('pass outputs on to later jobs and stages in the project-creation sample', () => {
    const template = readFileSync(join(SAMPLES, 'templates', 'project-connection.yml'), 'utf8');
    const pipeline = readFileSync(join(SAMPLES, 'new-project.yml'), 'utf8');
    assert.match(template, /dependencies\.connection\.outputs\['wif\.serviceConnectionId'\]/);
    assert.match(pipeline, /stageDependencies\.connection\.connection\.outputs\['wif\.serviceConnectionName'\]/);
    assert.match(pipeline, /template: templates\/project-connection\.yml/);
  });

  it('walk through every input and group of the classic editor by the labels it shows', () => {
    const page = readFileSync(join(SAMPLES, 'classic-editor.md'), 'utf8');
    for (const input of task.inputs) assert.ok(page.includes(`**${input.label}**`), `the classic-editor page names '${input.label}'`);
    for (const group of task.groups) assert.ok(page.includes(`**${group.displayName}.**`), `the classic-editor page names the group '${group.displayName}'`);
  });
});

describe('the Marketplace page (overview.md)', () => {
  const page = readFileSync(join(ROOT, 'overview.md'), 'utf8');

  it('shows a YAML example that sets only declared inputs', () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(page)?.[1];
    assert.ok(yaml, 'a YAML example');
    for (const step of taskSteps(load(yaml))) {
      for (const name of Object.keys(step.inputs))
        assert.ok(
          task.inputs.some((i) => i.name === name),
          name,
        );
    }
  });

  it('shows the picture of a run from images/, which the .vsix ships as addressable files (issue 23)', () => {
    const picture = /!\[[^\]]+\]\((images\/[^)]+\.png)\)/.exec(page)?.[1];
    assert.ok(picture, 'a PNG picture from images/');
    assert.ok(existsSync(join(ROOT, picture)), picture);
    const manifest = JSON.parse(readFileSync(join(ROOT, 'vss-extension.json'), 'utf8')) as { files: { path: string; addressable?: boolean }[] };
    assert.ok(
      manifest.files.some((f) => f.path === 'images' && f.addressable),
      'images/ is packaged as addressable files',
    );
  });

  it('names approvals, branch control and the inventory and remove actions (issue 23)', () => {
    for (const words of ['**approvals**', '**branch control**', '`action: inventory`', '`action: remove`']) assert.ok(page.includes(words), words);
  });

  it('lists the permissions in Azure, Entra ID and Azure DevOps, and every output', () => {
    for (const where of ['Azure:', 'Entra ID', 'Azure DevOps:']) assert.ok(page.includes(`| ${where}`), `a permissions row for ${where}`);
    for (const output of outputs) assert.ok(page.includes(`| \`${output}\` |`), `the output ${output}`);
  });
});
