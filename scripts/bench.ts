/**
 * `npm run bench`: runs the bundled task as the agent does against the emulator, with a fixed latency added
 * to every request, and prints one table. It measures; it does not pass or fail.
 *
 * - requests: HTTP requests the run sent (from the emulator's request log).
 * - levels: the longest chain of requests that waited on one another, counted as the run happened: a
 *   request's level is one more than the highest level among the requests that had ended before it started.
 *   The task sends each request as soon as what it needs is known, so this is its dependency depth.
 * - after tokens: the levels after the last sign-in request (pipeline OIDC token, Entra ID).
 * - lower bound: levels × latency + the time the process took to send its first request.
 * - peak in flight: the most requests open at one moment.
 * - start → 1st request: from spawning the process to its first request, beside `node -e 0` on this machine.
 *
 * Each scenario runs RUNS times against a fresh emulator; the table shows the median run (by wall time).
 * Every run ends with its verification (one endpoint proxy request when nothing has to propagate).
 *
 * A third table, the inventory at scale (issue 20): an organization of INVENTORY_PROJECTS generated projects of
 * INVENTORY_CONNECTIONS connections each (beside the seeded fleet), INVENTORY_LATENCY_MS per request, one run of
 * the bundled task with inventoryScope organization. Requests, wall, the sequential wall (every request's own
 * time, one after another) and their ratio, beside the limits: requests ≤ 1 per project + 1.6 per
 * connection + 5; wall ≤ 1.3 × requests × latency ÷ 16 (the Azure DevOps requests in flight); ≥ 8 × faster
 * than sequential. `npm run bench -- --inventory` runs this table alone.
 *
 * A second table, time to verified: the emulator honours a new federated credential and role assignment only
 * PROPAGATION_S seconds after their writes (real time), and the run measures from the end of the federated
 * credential's write (the later of the two) to the end of the proxy request that found the connection
 * verified, with the number of proxy requests the polling sent; target ≤ 1.2 × P + 2 s. One run per row.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Emulator } from '../tests/support/emulator';
import { runTask } from '../tests/e2e/harness';
import { createVsix } from './package';
// The scenarios the convergence tests run: the README's example for each identity type.
import { IDENTITY_SCENARIOS, type IdentityScenario } from '../tests/support/scenarios';

const LATENCIES_MS = [50, 200];
const PROPAGATION_S = [10, 30];
const PROXY = /\/_apis\/serviceendpoint\/endpointproxy\?/i;
const CREDENTIAL_WRITE = /\/federatedIdentityCredentials(\/|\()/i;
const RUNS = 3;
const ROOT = resolve(__dirname, '..', '..');

interface Logged {
  startedAt: number;
  endedAt: number;
}

/** Sign-in requests: the pipeline OIDC token from Azure DevOps, and everything sent to Entra ID. */
function isSignIn(request: { service: string; path: string }): boolean {
  return request.service === 'login' || /\/oidctoken\b/i.test(request.path);
}

export function dependencyLevels(requests: readonly Logged[]): number {
  return Math.max(0, ...levelsOf(requests).map(([, level]) => level));
}

/** Each request with its level. */
export function levelsOf<T extends Logged>(requests: readonly T[]): [T, number][] {
  const sorted = [...requests].sort((a, b) => a.startedAt - b.startedAt);
  const levels: number[] = [];
  sorted.forEach((request, i) => {
    let level = 1;
    for (let j = 0; j < i; j++) {
      if (sorted[j].endedAt <= request.startedAt) level = Math.max(level, levels[j] + 1);
    }
    levels.push(level);
  });
  return sorted.map((request, i) => [request, levels[i]]);
}

export function peakInFlight(requests: readonly Logged[]): number {
  const events = requests.flatMap((r) => [
    { at: r.startedAt, delta: 1 },
    { at: r.endedAt, delta: -1 },
  ]);
  // At equal times an end goes first: a request that starts as another ends is not beside it.
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let peak = 0;
  for (const event of events) peak = Math.max(peak, (open += event.delta));
  return peak;
}

function nodeStartMs(): number {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    times.push(performance.now() - started);
  }
  return median(times);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function vsixSize(): number {
  return statSync(createVsix()).size;
}

interface Measured {
  requests: number;
  levels: number;
  afterTokens: number;
  wall: number;
  lowerBound: number;
  peak: number;
  firstRequest: number;
}

async function measure(scenario: IdentityScenario, latency: number): Promise<Measured> {
  const emulator = await Emulator.start({ latencyMs: latency });
  try {
    const run = await runTask(emulator, scenario.inputs);
    if (run.result !== 'Succeeded') throw new Error(`${scenario.identityType} failed: ${run.message}`);
    const requests = emulator.requests.filter((r) => r.startedAt >= run.startedAt);
    const firstRequest = Math.min(...requests.map((r) => r.startedAt)) - run.startedAt;
    const leveled = levelsOf(requests);
    const levels = Math.max(0, ...leveled.map(([, level]) => level));
    const signInLevels = Math.max(0, ...leveled.filter(([request]) => isSignIn(request)).map(([, level]) => level));
    return {
      requests: requests.length,
      levels,
      afterTokens: levels - signInLevels,
      wall: run.durationMs,
      lowerBound: levels * latency + firstRequest,
      peak: peakInFlight(requests),
      firstRequest,
    };
  } finally {
    await emulator.stop();
  }
}

/** Time to verified with a propagation delay of `seconds` for federated credentials and role assignments. */
async function timeToVerified(scenario: IdentityScenario, seconds: number): Promise<{ ms: number; polls: number }> {
  const emulator = await Emulator.start({ federatedCredentialPropagationMs: seconds * 1000, roleAssignmentPropagationMs: seconds * 1000 });
  try {
    const run = await runTask(emulator, scenario.inputs);
    if (run.result !== 'Succeeded') throw new Error(`${scenario.identityType} failed: ${run.message}`);
    const written = emulator.requests.filter((r) => ['PUT', 'PATCH'].includes(r.method) && CREDENTIAL_WRITE.test(r.path));
    const polls = emulator.requests.filter((r) => r.method === 'POST' && PROXY.test(r.path));
    const from = Math.max(...written.map((r) => r.endedAt));
    return { ms: Math.max(...polls.map((r) => r.endedAt)) - from, polls: polls.length };
  } finally {
    await emulator.stop();
  }
}

const INVENTORY_PROJECTS = 100;
const INVENTORY_CONNECTIONS = 20;
const INVENTORY_LATENCY_MS = 100;
const DEVOPS_IN_FLIGHT = 16;

/** One inventory of the whole emulated organization, and the limits beside what it measured. */
async function inventoryAtScale(): Promise<void> {
  const emulator = await Emulator.start({
    latencyMs: INVENTORY_LATENCY_MS,
    fleet: { generatedProjects: INVENTORY_PROJECTS, connectionsPerProject: INVENTORY_CONNECTIONS },
  });
  try {
    const run = await runTask(emulator, { action: 'inventory', bootstrapConnection: 'platform-bootstrap', inventoryScope: 'organization' });
    if (run.result === 'Failed' || !run.outputs.connectionCount) throw new Error(`the inventory failed: ${run.message}`);
    const requests = emulator.requests.filter((r) => r.startedAt >= run.startedAt);
    const projects = emulator.state().projects.length;
    const connections = Number(run.outputs.connectionCount);
    const sequential = requests.reduce((sum, r) => sum + (r.endedAt - r.startedAt), 0);
    const devops = requests.filter((r) => r.service === 'devops');
    const requestLimit = projects + 1.6 * connections + 5;
    const wallLimit = (1.3 * requests.length * INVENTORY_LATENCY_MS) / DEVOPS_IN_FLIGHT;
    const ratio = sequential / run.durationMs;
    const check = (ok: boolean): string => (ok ? 'yes' : '**no**');
    console.log(`
| projects | connections | latency ms | requests (Azure DevOps) | request limit | wall ms | wall limit ms | peak Azure DevOps in flight | sequential ms | sequential / wall |`);
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    console.log(
      `| ${projects} | ${connections} | ${INVENTORY_LATENCY_MS} | ${requests.length} (${devops.length}) | ${Math.floor(requestLimit)} ${check(requests.length <= requestLimit)} | ${Math.round(run.durationMs)} | ${Math.round(wallLimit)} ${check(run.durationMs <= wallLimit)} | ${peakInFlight(devops)} ${check(peakInFlight(devops) <= DEVOPS_IN_FLIGHT)} | ${Math.round(sequential)} | ${ratio.toFixed(1)} ${check(ratio >= 8)} |`,
    );
  } finally {
    await emulator.stop();
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--inventory')) return inventoryAtScale();
  const nodeStart = nodeStartMs();
  const rows: string[][] = [];
  for (const scenario of IDENTITY_SCENARIOS) {
    for (const latency of LATENCIES_MS) {
      const runs: Measured[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await measure(scenario, latency));
      const m = [...runs].sort((a, b) => a.wall - b.wall)[Math.floor(runs.length / 2)];
      const firstRequest = median(runs.map((r) => r.firstRequest));
      rows.push([
        scenario.identityType,
        `${latency}`,
        `${m.requests}`,
        `${m.levels}`,
        `${m.afterTokens}`,
        `${Math.round(m.wall)}`,
        `${Math.round(m.lowerBound)}`,
        (m.wall / m.lowerBound).toFixed(2),
        `${m.peak}`,
        `${Math.round(firstRequest)}`,
        `${Math.round(nodeStart)}`,
        (firstRequest / nodeStart).toFixed(2),
      ]);
    }
  }
  const header = [
    'identity type',
    'latency ms',
    'requests',
    'levels',
    'after tokens',
    'wall ms',
    'lower bound ms',
    'wall / bound',
    'peak in flight',
    'start → 1st request ms',
    'node -e 0 ms',
    'start ratio',
  ];
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);

  console.log('\n| identity type | propagation P s | time to verified ms | target 1.2 × P + 2 s, ms | proxy requests |');
  console.log('|---|---|---|---|---|');
  for (const scenario of IDENTITY_SCENARIOS) {
    for (const seconds of PROPAGATION_S) {
      const verified = await timeToVerified(scenario, seconds);
      console.log(`| ${scenario.identityType} | ${seconds} | ${Math.round(verified.ms)} | ${1200 * seconds + 2000} | ${verified.polls} |`);
    }
  }

  const taskDir = join(ROOT, 'dist', 'WorkloadIdentityConnection');
  const bundle = folderSize(taskDir);
  const vsix = existsSync(join(taskDir, 'index.js')) ? vsixSize() : undefined;
  console.log(`\ntask folder (index.js, sdk/, task.json, icon): ${(bundle / 1024).toFixed(0)} KiB; .vsix: ${vsix ? (vsix / 1024).toFixed(0) : '?'} KiB`);
  await inventoryAtScale();
}

function folderSize(folder: string): number {
  return readdirSync(folder, { withFileTypes: true }).reduce(
    (sum, entry) => sum + (entry.isDirectory() ? folderSize(join(folder, entry.name)) : statSync(join(folder, entry.name)).size),
    0,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
