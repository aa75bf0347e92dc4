/**
 * The .vsix the Marketplace receives, built by `npm run package`'s script (scripts/package.ts, tfx-cli)
 * from the bundle in dist/ (npm test builds it first): the manifest, the Marketplace page and licence, the
 * icon, and the task folder the agent downloads (task.json, index.js, icon.png); the version from
 * package.json; and, built under another publisher, that publisher in the manifest with no tracked file
 * changed.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import JSZip from 'jszip';

const ROOT = resolve(__dirname, '..', '..', '..');
const PACKAGE_SCRIPT = join(ROOT, 'build', 'scripts', 'package.js');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const run = promisify(execFile);

/** Runs the package script as `npm run package -- <args>` does after its build; returns the .vsix's file name and content. */
async function packageWith(output: string, ...args: string[]): Promise<{ file: string; vsix: JSZip }> {
  await run(process.execPath, [PACKAGE_SCRIPT, '--output-path', output, ...args], { cwd: ROOT });
  const [file, ...more] = readdirSync(output).filter((f) => f.endsWith('.vsix'));
  assert.ok(file, 'tfx wrote a .vsix');
  assert.deepEqual(more, [], 'one .vsix');
  return { file, vsix: await JSZip.loadAsync(readFileSync(join(output, file))) };
}

async function text(vsix: JSZip, path: string): Promise<string> {
  const file = vsix.file(path);
  assert.ok(file, `the package holds ${path}`);
  return file.async('string');
}

/** `git status --porcelain`, or undefined when the folder is no git work tree (a tarball). */
async function gitStatus(): Promise<string | undefined> {
  try {
    return (await run('git', ['-C', ROOT, 'status', '--porcelain'])).stdout;
  } catch {
    return undefined;
  }
}

describe('the extension package (.vsix)', function () {
  this.timeout(60_000);
  let output: string;
  let vsix: JSZip;
  let file: string;

  before(async () => {
    output = mkdtempSync(join(tmpdir(), 'wic-vsix-'));
    ({ file, vsix } = await packageWith(output));
  });
  after(() => rmSync(output, { recursive: true, force: true }));

  it('declares the Marketplace page, the licence and the icon as assets', async () => {
    const manifest = await text(vsix, 'extension.vsixmanifest');
    assert.match(manifest, /<Asset Type="Microsoft\.VisualStudio\.Services\.Content\.Details" [^>]*Path="overview\.md"/);
    assert.match(manifest, /<Asset Type="Microsoft\.VisualStudio\.Services\.Content\.License" [^>]*Path="LICENSE"/);
    assert.match(manifest, /<Asset Type="Microsoft\.VisualStudio\.Services\.Icons\.Default" [^>]*Path="images\/extension-icon\.png"/);
    assert.match(manifest, /<Categories>Azure Pipelines<\/Categories>/);
    assert.match(await text(vsix, 'overview.md'), /^# Workload Identity Connection/);
    assert.match(await text(vsix, 'LICENSE'), /^MIT License/);
    assert.ok(vsix.file('images/extension-icon.png'));
    // The picture of a run that overview.md shows, as an addressable file the Marketplace page can load (issue 23).
    assert.match(await text(vsix, 'overview.md'), /\]\(images\/run\.png\)/);
    assert.ok(vsix.file('images/run.png') && vsix.file('images/run.svg'));
    assert.match(manifest, /<Asset Type="images\/run\.png" [^>]*Path="images\/run\.png" Addressable="true"/);
  });

  it('contributes the task folder, with the task.json of the repository, the bundle and the icon', async () => {
    const contributions = (JSON.parse(await text(vsix, 'extension.vsomanifest')) as { contributions: { type: string; properties: { name: string } }[] })
      .contributions;
    const task = contributions.find((c) => c.type === 'ms.vss-distributed-task.task');
    assert.equal(task?.properties.name, 'dist/WorkloadIdentityConnection');
    assert.deepEqual(JSON.parse(await text(vsix, 'dist/WorkloadIdentityConnection/task.json')), JSON.parse(readFileSync(join(ROOT, 'task.json'), 'utf8')));
    assert.ok((await text(vsix, 'dist/WorkloadIdentityConnection/index.js')).length > 100_000, 'the bundle, every dependency inlined');
    assert.ok(vsix.file('dist/WorkloadIdentityConnection/icon.png'));
  });

  it("carries package.json's version, in the extension's manifest and the task's", async () => {
    const [major, minor, patch] = VERSION.split('.').map(Number);
    assert.equal(file, `workload-identity-connection.workload-identity-connection-${VERSION}.vsix`);
    assert.match(await text(vsix, 'extension.vsixmanifest'), new RegExp(`<Identity [^>]*Version="${VERSION.replace(/\./g, '\\.')}"`));
    assert.deepEqual((JSON.parse(await text(vsix, 'dist/WorkloadIdentityConnection/task.json')) as { version: unknown }).version, {
      Major: major,
      Minor: minor,
      Patch: patch,
    });
  });

  it('is built under another publisher with --publisher, changing no tracked file', async function () {
    const own = mkdtempSync(join(tmpdir(), 'wic-vsix-publisher-'));
    try {
      const before = await gitStatus();
      const built = await packageWith(own, '--publisher', 'contoso-platform');
      assert.equal(built.file, `contoso-platform.workload-identity-connection-${VERSION}.vsix`);
      const manifest = await text(built.vsix, 'extension.vsixmanifest');
      assert.match(manifest, /<Identity [^>]*Publisher="contoso-platform"/);
      assert.match(manifest, /<Identity [^>]*Id="workload-identity-connection"/);
      assert.doesNotMatch(manifest, /Publisher="workload-identity-connection"/);
      assert.ok(built.vsix.file('dist/WorkloadIdentityConnection/index.js'), 'the same task inside');
      if (before === undefined) this.skip();
      assert.equal(await gitStatus(), before, 'git status --porcelain is unchanged');
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
});
