/** README.md against task.json: every input and output documented, and nothing that does not exist. */
import { strict as assert } from 'node:assert';
import { read, task } from './files';

const inputNames = task.inputs.map((i) => i.name);

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
