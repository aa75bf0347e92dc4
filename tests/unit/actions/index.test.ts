/** src/actions/index.ts: the actions, one line each, against task.json's `action` options; the input's value. */
import { strict as assert } from 'node:assert';
import { ACTION_NAMES, parseAction } from '../../../src/actions';
import { InputError } from '../../../src/errors';
import { task } from '../repository/files';

describe('the actions', () => {
  it('are exactly the options of the action input, which comes first with provision as its default', () => {
    const input = task.inputs[0] as { name: string; defaultValue?: string; options?: Record<string, string> };
    assert.equal(input.name, 'action');
    assert.equal(input.defaultValue, 'provision');
    assert.deepEqual(Object.keys(input.options ?? {}), [...ACTION_NAMES]);
  });

  it('reads the input: empty is provision, the case is forgiven, anything else is refused naming the actions', () => {
    assert.equal(parseAction(undefined), 'provision');
    assert.equal(parseAction('  '), 'provision');
    assert.equal(parseAction('Provision'), 'provision');
    assert.throws(
      () => parseAction('create'),
      (e: Error) => e instanceof InputError && /Input 'action' has the unsupported value 'create'\. Supported values are: provision/.test(e.message),
    );
  });
});
