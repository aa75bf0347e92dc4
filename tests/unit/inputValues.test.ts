/** Validators of single input values (src/inputValues.ts). */
import { strict as assert } from 'node:assert';
import { InputError } from '../../src/errors';
import { checkedName, lines, optionalResourceGroup, parseBoolean, parseSeconds } from '../../src/inputValues';

const refused = (input: string, message: RegExp) => (error: unknown) => error instanceof InputError && error.input === input && message.test(error.message);

describe('inputValues', () => {
  it('lines: one value per line, trimmed, without empty lines or repeats in another case', () => {
    assert.deepEqual(lines(' a \r\n\nB\nA\nb\n c'), ['a', 'B', 'c']);
    assert.deepEqual(lines(''), []);
  });

  it("parseBoolean: 'true' or 'false' in any case, empty as false, anything else refused", () => {
    assert.equal(parseBoolean('dryRun', 'TRUE'), true);
    assert.equal(parseBoolean('dryRun', 'False'), false);
    assert.equal(parseBoolean('dryRun', ''), false);
    assert.throws(() => parseBoolean('dryRun', 'yes'), refused('dryRun', /has the value 'yes'\. Supported values are: true, false\./));
  });

  it('parseSeconds: a whole number within bounds, the default when empty', () => {
    const bounds = { default: 120, min: 1, max: 3600 };
    assert.equal(parseSeconds('replicationWaitSeconds', '', bounds), 120);
    assert.equal(parseSeconds('replicationWaitSeconds', '3600', bounds), 3600);
    for (const value of ['0', '3601', '1.5', '-1', '1e3']) {
      assert.throws(
        () => parseSeconds('replicationWaitSeconds', value, bounds),
        refused('replicationWaitSeconds', /use a whole number of seconds from 1 to 3600 \(default 120\)/),
        value,
      );
    }
  });

  it('checkedName: printable and at most 260 characters', () => {
    assert.equal(checkedName('shareWithProjects', 'platform'), 'platform');
    assert.throws(() => checkedName('shareWithProjects', 'a\u0000b'), refused('shareWithProjects', /which is not a name or id/));
    assert.throws(() => checkedName('shareWithProjects', 'p'.repeat(261)), refused('shareWithProjects', new RegExp(`'${'p'.repeat(40)}'`)));
  });

  it("optionalResourceGroup: Azure's resource group names, none when empty", () => {
    assert.equal(optionalResourceGroup('resourceGroup', ''), undefined);
    assert.equal(optionalResourceGroup('resourceGroup', 'rg-app1_(dev).x'), 'rg-app1_(dev).x');
    assert.equal(optionalResourceGroup('resourceGroup', 'rg-café'), 'rg-café', 'letters of any script');
    for (const value of ['rg/app', 'rg.', 'r'.repeat(91)]) {
      assert.throws(() => optionalResourceGroup('resourceGroup', value), refused('resourceGroup', /is not a valid resource group name/), value);
    }
  });
});
