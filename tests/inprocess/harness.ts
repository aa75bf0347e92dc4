/**
 * Whole runs of the task inside the test process: src/index.ts's main(agent, clock) with a fake agent that
 * reads the same environment the spawned harness gives the task's process (taskEnvironment: inputs with
 * task.json defaults and macros, the bootstrap endpoint, SystemVssConnection, variables, secret variables,
 * the agent's proxy and CA settings), the way task-lib reads it, and with the emulator's virtual clock.
 * The answer is the same TaskRun the spawned harness returns, so a test switches between the two by its
 * import alone.
 *
 * What only a real process shows (NODE_EXTRA_CA_CERTS read at start, task-lib's own debug echoes, the
 * bundle, Node versions) stays with the spawned tier.
 */
import '../support/taskLibHome';
import { writeFileSync } from 'node:fs';
import { pipelineAgent } from '../../src/agent';
import type { AgentPort, AgentProxy, TaskResult } from '../../src/agentPort';
import type { Clock } from '../../src/clock';
import { main } from '../../src/index';
import { Emulator as RealEmulator, type EmulatorOptions } from '../support/emulator';
import { assertNoSecretInSummaries } from '../support/scenarios';
import { taskEnvironment, parseLoggingCommands, envName, readSummaries, SUMMARY_ATTACHMENT, type RunOptions, type TaskRun } from '../support/taskRun';
import { RunClock, VirtualClock } from './clock';
import { shareSecureContexts } from './tlsContexts';

shareSecureContexts();

export type { RunOptions, TaskRun } from '../support/taskRun';

/** The emulator, started on a virtual clock of its own: in-process runs share it with the task. */
export type Emulator = RealEmulator;
export const Emulator = {
  async start(options: EmulatorOptions = {}): Promise<RealEmulator> {
    const clock = new VirtualClock();
    const emulator = await RealEmulator.start({ clock, ...options });
    clock.watch(() => emulator.progress());
    return emulator;
  },
};

/** task-lib's escaping of a logging command's message and property values (taskcommand.ts). */
const escapeData = (text: string): string => text.replace(/%/g, '%AZP25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (text: string): string => escapeData(text).replace(/]/g, '%5D').replace(/;/g, '%3B');

/**
 * The agent port over a task environment in memory, as task-lib serves it: inputs, endpoint authorizations
 * and secret variables from the vault (INPUT_, ENDPOINT_AUTH_, SECRET_: non-empty values only), the rest
 * from plain variables; and what the task tells it recorded as the lines task-lib would print (log lines as
 * they are, ##vso commands for debug, warnings, secrets, outputs and the result). State only: reading the
 * task's inputs and masking them is src/taskInputs.ts's, the same code the agent runs.
 */
export class FakeAgent implements AgentPort {
  readonly lines: string[] = [];
  /** After a crash nothing the abandoned run says is heard. */
  dead = false;

  constructor(readonly env: Record<string, string | undefined>) {}

  /** task-lib's vault keeps non-empty values only. */
  private vault(key: string): string | undefined {
    return this.env[key] || undefined;
  }

  input(name: string): string | undefined {
    return this.vault(`INPUT_${envName(name)}`);
  }

  quietInput(name: string): string | undefined {
    return this.input(name);
  }

  /** tl.getVariable: a secret variable from the vault, a public one from the environment. */
  variable(name: string): { value?: string; secret: boolean } {
    const secret = this.vault(`SECRET_${envName(name)}`);
    return secret !== undefined ? { value: secret, secret: true } : { value: this.env[envName(name)], secret: false };
  }

  endpointUrl(id: string): string | undefined {
    return this.env[`ENDPOINT_URL_${id}`];
  }

  /** tl.getEndpointAuthorization: the JSON in the vault, which throws when it is not JSON. */
  endpointAuthorization(id: string): Record<string, string> | undefined {
    const raw = this.vault(`ENDPOINT_AUTH_${id}`);
    return raw ? (JSON.parse(raw) as { parameters?: Record<string, string> }).parameters : undefined;
  }

  endpointAuthorizationScheme(id: string): string | undefined {
    return this.vault(`ENDPOINT_AUTH_SCHEME_${id}`);
  }

  endpointData(id: string, key: string): string | undefined {
    return this.env[`ENDPOINT_DATA_${id}_${key.toUpperCase()}`];
  }

  /** tl.getHttpProxyConfiguration: from the Agent.Proxy* variables. */
  proxy(): AgentProxy | undefined {
    const proxyUrl = this.variable('Agent.ProxyUrl').value;
    if (!proxyUrl) return undefined;
    return {
      proxyUrl,
      proxyUsername: this.variable('Agent.ProxyUsername').value,
      proxyPassword: this.variable('Agent.ProxyPassword').value,
      proxyBypassHosts: JSON.parse(this.variable('Agent.ProxyBypassList').value || '[]') as string[],
    };
  }

  /**
   * Agent.CAInfo; in a process, NODE_EXTRA_CA_CERTS is read at start and trusted by every client. In this
   * process it is not, so a CA file the environment names that way is handed over as Agent.CAInfo.
   */
  caFile(): string | undefined {
    return this.variable('Agent.CAInfo').value ?? (this.env.NODE_EXTRA_CA_CERTS || undefined);
  }

  private print(line: string): void {
    if (!this.dead) this.lines.push(line);
  }

  setSecret(value: string): void {
    this.print(`##vso[task.setsecret]${escapeData(value)}`);
  }

  setOutput(name: string, value: string): void {
    this.print(`##vso[task.setvariable variable=${escapeProperty(name)};isOutput=true;issecret=false;]${escapeData(value)}`);
  }

  log(line: string): void {
    this.print(line);
  }

  debug(line: string): void {
    this.print(`##vso[task.debug]${escapeData(line)}`);
  }

  warning(line: string): void {
    this.print(`##vso[task.issue type=warning;]${escapeData(line)}`);
  }

  /** tl.setProgress: the logging command as task-lib writes it. */
  setProgress(percent: number, operation: string): void {
    this.print(`##vso[task.setprogress value=${percent};]${escapeData(operation)}`);
  }

  /** tl.setResult: a failure is also an error issue, a success with issues a warning issue. */
  /** tl.writeFile, then tl.addAttachment's command: the file is there for the test to read, as the agent would upload it. */
  attachSummary(name: string, file: string, markdown: string): void {
    if (this.dead) return;
    writeFileSync(file, markdown, 'utf8');
    this.print(`##vso[task.addattachment type=${SUMMARY_ATTACHMENT};name=${escapeProperty(name)};]${escapeData(file)}`);
  }

  setResult(result: TaskResult, message: string): void {
    if (result === 'Failed') this.print(`##vso[task.issue type=error;]${escapeData(message)}`);
    if (result === 'SucceededWithIssues') this.print(`##vso[task.issue type=warning;]${escapeData(message)}`);
    this.print(`##vso[task.complete result=${result};]${escapeData(message)}`);
  }
}

export interface InProcessOptions extends Pick<RunOptions, 'env' | 'variables' | 'secretVariables' | 'signal'> {
  /** Default: the emulator's clock (a VirtualClock when started through this module's Emulator). */
  clock?: Clock;
}

/**
 * One run of the task in this process, as runTask runs it in a child process. `signal` plays the agent's
 * death: the run is abandoned where it stands (its clock stops, its connections to the emulator stay dead,
 * see FaultRule.crash) and answers killed: true; the emulator then serves the re-run.
 */
type MsalStatics = Record<string, unknown>;
interface MsalNode {
  ManagedIdentityApplication: (new (config: object) => { managedIdentityClient?: { constructor: MsalStatics } }) & MsalStatics;
}

/**
 * msal-node keeps managed identity state for the whole process, in static fields: the token store
 * (ManagedIdentityApplication.nodeStorage) and the identity source with its endpoint, read once from
 * AZURE_POD_IDENTITY_AUTHORITY_HOST (ManagedIdentityClient.identitySource, sourceName). Right for one agent
 * machine; here every run stands for a new task process, often against another emulator. Each run starts
 * with them unset, as a new process would.
 */
async function forgetManagedIdentityState(): Promise<void> {
  const msal = (await import(require.resolve('@azure/msal-node', { paths: [require.resolve('@azure/identity')] }))) as MsalNode;
  const application = msal.ManagedIdentityApplication;
  application.nodeStorage = undefined;
  const client = new application({}).managedIdentityClient?.constructor;
  if (client) {
    client.identitySource = undefined;
    client.sourceName = undefined;
  }
  application.nodeStorage = undefined;
}

export async function runInProcess(emulator: RealEmulator, inputs: Record<string, string>, options: InProcessOptions = {}): Promise<TaskRun> {
  await forgetManagedIdentityState();
  const clock = new RunClock(options.clock ?? emulator.clock);
  const agent = new FakeAgent(taskEnvironment(emulator, inputs, options));
  const startedAt = clock.now();
  // A ManagedServiceIdentity bootstrap finds the machine's identity endpoint through the process
  // environment (msal-node reads AZURE_POD_IDENTITY_AUTHORITY_HOST); set for the run, restored after.
  const podIdentityHost = process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
  const environment = taskEnvironmentOf(agent);
  if (environment.AZURE_POD_IDENTITY_AUTHORITY_HOST) process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = environment.AZURE_POD_IDENTITY_AUTHORITY_HOST;
  const finished = main(pipelineAgent(agent), clock)
    .finally(() => {
      if (podIdentityHost === undefined) delete process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
      else process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = podIdentityHost;
    })
    .then(() => 'finished' as const);
  let killed = false;
  if (options.signal) {
    const signal = options.signal;
    const aborted = new Promise<'aborted'>((resolve) => {
      if (signal.aborted) resolve('aborted');
      else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    if ((await Promise.race([finished, aborted])) === 'aborted') {
      killed = true;
      agent.dead = true;
      clock.stop();
      await stillness(emulator);
      emulator.afterCrash();
    }
  } else {
    await finished;
  }
  const durationMs = clock.now() - startedAt;
  const stdout = agent.lines.map((line) => `${line}\n`).join('');
  const parsed = parseLoggingCommands(stdout);
  const summaries = readSummaries(parsed.attachments);
  const result = { exitCode: killed ? 137 : parsed.result === 'Failed' ? 1 : 0, stdout, stderr: '', durationMs, killed, startedAt, summaries, ...parsed };
  assertNoSecretInSummaries(emulator, result);
  return result;
}

function taskEnvironmentOf(agent: FakeAgent): Record<string, string | undefined> {
  return agent.env;
}

/** Waits until the emulator has seen no request, logged or held, for a while: the abandoned run is still. */
async function stillness(emulator: RealEmulator): Promise<void> {
  let seen = -1;
  for (let quiet = 0; quiet < 4;) {
    await new Promise((resolve) => setTimeout(resolve, 15));
    const now = emulator.activity;
    quiet = now === seen ? quiet + 1 : 0;
    seen = now;
  }
}
