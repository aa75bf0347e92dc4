/** scripts/package.ts: the arguments of npm run package. */
import { strict as assert } from 'node:assert';
import { parseArgs } from '../../../scripts/package';

describe('npm run package arguments', () => {
  it('takes a publisher and an output folder, in either form', () => {
    assert.deepEqual(parseArgs([]), {});
    assert.deepEqual(parseArgs(['--publisher', 'contoso-platform']), { publisher: 'contoso-platform' });
    assert.deepEqual(parseArgs(['--publisher=contoso-platform', '--output-path', 'out']), { publisher: 'contoso-platform', outputPath: 'out' });
  });

  it('refuses what tfx or the Marketplace would refuse later', () => {
    assert.throws(() => parseArgs(['--publisher']), /--publisher needs a value/);
    assert.throws(() => parseArgs(['--publisher', '--output-path', 'x']), /--publisher needs a value/);
    assert.throws(() => parseArgs(['--publisher', 'contoso platform']), /is not a Marketplace publisher id/);
    assert.throws(() => parseArgs(['--rev-version']), /unknown argument '--rev-version'/);
  });
});
