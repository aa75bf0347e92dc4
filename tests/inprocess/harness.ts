/**
 * Whole runs of the task inside the test process: src/index.ts's main(agent, clock) with a fake agent that
 * reads the same environment the spawned harness gives the task's process (taskEnvironment: inputs with
 * task.json defaults and macros, the bootstrap endpoint, SystemVssConnection, variables, secret variables,
 * the agent's proxy and CA settings), the way task-lib reads it, and with the emulator's virtual clock.
 * The answer is the same TaskRun the spawned harness returns, so a test switches between the two by its
 * import alone.
 *
 * What only a real process shows (NODE_EXTRA_CA_CERTS read at start, task-lib's own debug echoes, the
 * bundle, Node versions) stays with tests/e2e.
 */
import './taskLibHome';
import { type Agent, ENDPOINT_DATA, ENDPOINT_PARAMETERS, privateKeyLines } from '../../src/agent';
import { INPUT_NAMES } from '../../src/inputNames';
import type { Clock } from '../../src/clock';
import { oneLine } from '../../src/errors';
import { main } from '../../src/index';
import { isVariableName, type RawTask } from '../../src/request';
import { Emulator as RealEmulator, type EmulatorOptions } from '../emulator';
import { taskEnvironment, parseLoggingCommands, envName, type RunOptions, type TaskRun } from '../e2e/harness';
import { RunClock, VirtualClock } from './clock';
import { shareSecureContexts } from './tlsContexts';

shareSecureContexts();

export type { RunOptions, TaskRun } from '../e2e/harness';

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
 * An agent that reads a task environment as task-lib does (the vault for INPUT_, ENDPOINT_AUTH_ and SECRET_
 * values, plain variables otherwise) and records what the task tells it as the lines task-lib would print:
 * log lines as they are, ##vso commands for debug, warnings, secrets, outputs and the result.
 */
export class FakeAgent implements Agent {
  readonly lines: string[] = [];
  /** After a crash nothing the abandoned run says is heard. */
  dead = false;

  constructor(readonly env: Record<string, string | undefined>) {}

  /** tl.getVariable: a secret variable from the vault, a public one from the environment. */
  variable(name: string): string | undefined {
    const key = envName(name);
    return this.vault(`SECRET_${key}`) ?? this.env[key];
  }

  /** Whether the agent handed the variable over as a secret (SECRET_<NAME>). */
  private isSecretVariable(name: string): boolean {
    return this.vault(`SECRET_${envName(name)}`) !== undefined;
  }

  /** task-lib's vault keeps non-empty values only. */
  private vault(key: string): string | undefined {
    return this.env[key] || undefined;
  }

  private authorization(id: string): (key: string) => string | undefined {
    let parameters: Record<string, string> = {};
    try {
      const raw = this.vault(`ENDPOINT_AUTH_${id}`);
      parameters = (raw ? (JSON.parse(raw) as { parameters?: Record<string, string> }).parameters : undefined) ?? {};
    } catch {
      // As the real agent: a malformed authorization reads as an empty one.
    }
    return (key) => Object.entries(parameters).find(([name]) => name.toLowerCase() === key.toLowerCase())?.[1];
  }

  readTask(): RawTask {
    const inputs: RawTask['inputs'] = {};
    for (const name of INPUT_NAMES) (inputs as Record<string, string | undefined>)[name] = this.vault(`INPUT_${envName(name)}`);
    const id = inputs.bootstrapConnection ?? '';
    const parameters: RawTask['bootstrap']['parameters'] = {};
    const data: RawTask['bootstrap']['data'] = {};
    if (id) {
      const auth = this.authorization(id);
      for (const key of ENDPOINT_PARAMETERS) parameters[key] = auth(key);
      for (const key of ENDPOINT_DATA) data[key] = this.env[`ENDPOINT_DATA_${id}_${key.toUpperCase()}`];
    }
    this.secret(parameters.serviceprincipalkey);
    for (const line of privateKeyLines(parameters.servicePrincipalCertificate)) this.secret(line);
    const accessToken = this.authorization('SYSTEMVSSCONNECTION')('AccessToken');
    this.secret(accessToken);
    let devOpsTokenVariable: RawTask['devOpsTokenVariable'];
    const variableName = inputs.devOpsTokenVariable?.trim() ?? '';
    if (isVariableName(variableName)) {
      if (inputs.devOpsAuth?.trim().toLowerCase() === 'personalaccesstoken') {
        const value = this.variable(variableName);
        devOpsTokenVariable = { value, secret: value !== undefined && this.isSecretVariable(variableName) };
      }
    } else {
      this.secret(variableName);
    }
    this.secret(devOpsTokenVariable?.value);
    const proxyUrl = this.variable('Agent.ProxyUrl');
    const proxy = proxyUrl
      ? {
          proxyUrl,
          proxyUsername: this.variable('Agent.ProxyUsername'),
          proxyPassword: this.variable('Agent.ProxyPassword'),
          proxyBypassHosts: JSON.parse(this.variable('Agent.ProxyBypassList') || '[]') as string[],
        }
      : undefined;
    this.secret(proxy?.proxyPassword);
    return {
      inputs,
      bootstrap: {
        id,
        url: id ? this.env[`ENDPOINT_URL_${id}`] : undefined,
        scheme: id ? this.vault(`ENDPOINT_AUTH_SCHEME_${id}`) : undefined,
        parameters,
        data,
      },
      accessToken,
      oidcRequestUri: this.variable('System.OidcRequestUri'),
      devOpsTokenVariable,
      network: {
        ...proxy,
        // Agent.CAInfo; in a process, NODE_EXTRA_CA_CERTS is read at start and trusted by every client. In
        // this process it is not, so a CA file the environment names that way is handed over as Agent.CAInfo.
        caFile: this.variable('Agent.CAInfo') ?? (this.env.NODE_EXTRA_CA_CERTS || undefined),
      },
    };
  }

  private print(line: string): void {
    if (!this.dead) this.lines.push(line);
  }

  secret(value: string | undefined): void {
    if (value) this.print(`##vso[task.setsecret]${escapeData(value)}`);
  }

  output(name: string, value: string): void {
    this.print(`##vso[task.setvariable variable=${escapeProperty(name)};isOutput=true;issecret=false;]${escapeData(value)}`);
  }

  info(line: string): void {
    this.print(oneLine(line));
  }

  debug(line: string): void {
    this.print(`##vso[task.debug]${escapeData(oneLine(line))}`);
  }

  warn(line: string): void {
    this.print(`##vso[task.issue type=warning;]${escapeData(oneLine(line))}`);
  }

  succeed(message: string): void {
    this.print(`##vso[task.complete result=Succeeded;]${escapeData(oneLine(message))}`);
  }

  succeedWithIssues(message: string): void {
    this.print(`##vso[task.complete result=SucceededWithIssues;]${escapeData(oneLine(message))}`);
  }

  fail(message: string): void {
    this.print(`##vso[task.issue type=error;]${escapeData(oneLine(message))}`);
    this.print(`##vso[task.complete result=Failed;]${escapeData(oneLine(message))}`);
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
  const finished = main(agent, clock)
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
  return { exitCode: killed ? 137 : parsed.result === 'Failed' ? 1 : 0, stdout, stderr: '', durationMs, killed, startedAt, ...parsed };
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
