/** src/inputNames.ts: the input and output names, one typed list, against task.json. */
import { strict as assert } from 'node:assert';
import { INPUT_NAMES, OUTPUT_NAMES } from '../../src/inputNames';
import { task } from './repository/files';

describe('the input and output names', () => {
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
});
