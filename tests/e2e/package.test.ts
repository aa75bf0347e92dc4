/**
 * The .vsix the Marketplace receives, built with tfx-cli from the bundle in dist/ (npm test builds it
 * first): the manifest, the Marketplace page and licence, the icon, and the task folder the agent
 * downloads (task.json, index.js, icon.png).
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import JSZip from 'jszip';

const ROOT = resolve(__dirname, '..', '..', '..');
const TFX = join(dirname(require.resolve('tfx-cli/package.json')), '_build', 'tfx-cli.js');

describe('the extension package (.vsix)', function () {
  this.timeout(60_000);
  let output: string;
  let vsix: JSZip;
  const text = async (path: string): Promise<string> => {
    const file = vsix.file(path);
    assert.ok(file, `the package holds ${path}`);
    return file.async('string');
  };

  before(async () => {
    output = mkdtempSync(join(tmpdir(), 'wic-vsix-'));
    await promisify(execFile)(process.execPath, [TFX, 'extension', 'create', '--root', ROOT, '--manifest-globs', 'vss-extension.json', '--output-path', output, '--no-prompt'], {
      cwd: ROOT,
    });
    const [file] = readdirSync(output).filter((f) => f.endsWith('.vsix'));
    assert.ok(file, 'tfx wrote a .vsix');
    vsix = await JSZip.loadAsync(readFileSync(join(output, file)));
  });
  after(() => rmSync(output, { recursive: true, force: true }));

  it('declares the Marketplace page, the licence and the icon as assets', async () => {
    const manifest = await text('extension.vsixmanifest');
    assert.match(manifest, /<Asset Type="Microsoft\.VisualStudio\.Services\.Content\.Details" [^>]*Path="overview\.md"/);
    assert.match(manifest, /<Asset Type="Microsoft\.VisualStudio\.Services\.Content\.License" [^>]*Path="LICENSE"/);
    assert.match(manifest, /<Asset Type="Microsoft\.VisualStudio\.Services\.Icons\.Default" [^>]*Path="images\/extension-icon\.png"/);
    assert.match(manifest, /<Categories>Azure Pipelines<\/Categories>/);
    assert.match(await text('overview.md'), /^# Workload Identity Connection/);
    assert.match(await text('LICENSE'), /^MIT License/);
    assert.ok(vsix.file('images/extension-icon.png'));
  });

  it('contributes the task folder, with the task.json of the repository, the bundle and the icon', async () => {
    const contributions = (JSON.parse(await text('extension.vsomanifest')) as { contributions: { type: string; properties: { name: string } }[] }).contributions;
    const task = contributions.find((c) => c.type === 'ms.vss-distributed-task.task');
    assert.equal(task?.properties.name, 'dist/WorkloadIdentityConnection');
    assert.deepEqual(JSON.parse(await text('dist/WorkloadIdentityConnection/task.json')), JSON.parse(readFileSync(join(ROOT, 'task.json'), 'utf8')));
    assert.ok((await text('dist/WorkloadIdentityConnection/index.js')).length > 100_000, 'the bundle, every dependency inlined');
    assert.ok(vsix.file('dist/WorkloadIdentityConnection/icon.png'));
  });
});
