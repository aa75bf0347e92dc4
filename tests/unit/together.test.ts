/** src/together.ts: side-by-side work, its failures reported in a fixed order. */
import { strict as assert } from 'node:assert';
import { together } from '../../src/together';

describe('together', () => {
  it('answers every result in the order given', async () => {
    assert.deepEqual(await together<[number, string]>([Promise.resolve(1), Promise.resolve('two')]), [1, 'two']);
  });

  it('reports the failure listed first, whichever failed first, and only once all have settled', async () => {
    const settled: string[] = [];
    const later = new Promise<never>((_, reject) => setTimeout(() => (settled.push('first listed'), reject(new Error('first listed'))), 5));
    const sooner = Promise.reject(new Error('second listed')).finally(() => settled.push('second listed'));
    const slowSuccess = new Promise<number>((resolve) => setTimeout(() => (settled.push('success'), resolve(3)), 10));
    await assert.rejects(together<[never, never, number]>([later, sooner, slowSuccess]), /^Error: first listed$/);
    assert.deepEqual(settled, ['second listed', 'first listed', 'success']);
  });
});
