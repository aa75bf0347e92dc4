/**
 * What every way of running the task shares: the agent's contract with a Node task
 * (microsoft/azure-pipelines-agent, Handlers) — the task's inputs as INPUT_<NAME> (defaults from task.json,
 * $(Variable) macros expanded, a connectedService input resolved from the connection's name to its id),
 * endpoints as ENDPOINT_* variables, variables as environment variables — and the answer read back from the
 * ##vso[...] logging commands it prints. The spawned runs (tests/e2e/harness.ts) hand this environment to a
 * child process; the in-process runs (tests/inprocess/harness.ts) to a fake agent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Emulator } from './emulator';

export interface TaskRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  result?: 'Succeeded' | 'SucceededWithIssues' | 'Failed';
  message?: string;
  outputs: Record<string, string>;
  secrets: string[];
  /** The ##vso[task.addattachment] commands, in order: type, name and the file's path. */
  attachments: Attachment[];
  /** The Markdown of each summary attachment (type Distributedtask.Core.Summary), read from its file after the run. */
  summaries: string[];
  durationMs: number;
  /** The process was killed through RunOptions.signal (a crash), not ended by itself. */
  killed: boolean;
  /** When the task process was spawned, in epoch milliseconds (the clock of the emulator's request log). */
  startedAt: number;
}

export interface Attachment {
  type: string;
  name: string;
  path: string;
}

/** The attachment type of a Markdown section of the run's summary (the Extensions tab). */
export const SUMMARY_ATTACHMENT = 'Distributedtask.Core.Summary';

/** The Markdown of each summary attachment, read from its file (which must still exist). */
export function readSummaries(attachments: Attachment[]): string[] {
  return attachments.filter((attachment) => attachment.type === SUMMARY_ATTACHMENT).map((attachment) => readFileSync(attachment.path, 'utf8'));
}

export interface RunOptions {
  /** Extra environment for the task process (applied after the agent's); undefined removes a variable. */
  env?: Record<string, string | undefined>;
  /** Pipeline variables, by name ('System.Debug'); set as environment variables and used for macros. */
  variables?: Record<string, string>;
  /** Secret pipeline variables, by name: the agent hands them over as SECRET_<NAME>, listed in VSTS_SECRET_VARIABLES. */
  secretVariables?: Record<string, string>;
  /** Script to run instead of dist/WorkloadIdentityConnection/index.js (relative to the repository root). */
  entry?: string;
  /** Node binary instead of the one running the tests. */
  nodePath?: string;
  /** Aborting it kills the task at once (SIGKILL), as when the agent or its machine dies mid-run. */
  signal?: AbortSignal;
}

interface TaskJsonInput {
  name: string;
  type?: string;
  defaultValue?: string;
}

/**
 * The environment the agent gives the task's process for these inputs and options: the emulator's agent
 * variables, pipeline and secret variables, the overrides of `options.env`, and each input as INPUT_<NAME>
 * (task.json defaults, macros expanded, the bootstrap connection's name resolved to its id). The spawned
 * harness adds the inherited environment and a temp directory; the in-process fake agent reads it as
 * task-lib would.
 */
export function taskEnvironment(
  emu: Emulator,
  inputs: Record<string, string>,
  options: Pick<RunOptions, 'env' | 'variables' | 'secretVariables'> = {},
): Record<string, string | undefined> {
  const root = repositoryRoot();
  const agentEnv = emu.agentEnvironment();
  const variableEnv = Object.fromEntries(Object.entries(options.variables ?? {}).map(([name, value]) => [envName(name), value]));
  const known = { ...agentEnv, ...variableEnv };
  const expand = (value: string): string => value.replace(/\$\(([^)]+)\)/g, (macro, name: string) => known[envName(name)] ?? macro);

  const declared = readTaskInputs(root);
  const values = new Map<string, { value: string; type?: string }>();
  for (const input of declared) {
    if (input.defaultValue !== undefined) values.set(input.name, { value: input.defaultValue, type: input.type });
  }
  for (const [name, value] of Object.entries(inputs)) {
    const declaredInput = declared.find((i) => i.name.toLowerCase() === name.toLowerCase());
    values.set(declaredInput?.name ?? name, { value, type: declaredInput?.type });
  }

  const inputEnv: Record<string, string> = {};
  for (const [name, { value, type }] of values) {
    let resolved = expand(value);
    const mayBeConnection = type === undefined || type.startsWith('connectedService');
    if (mayBeConnection && resolved.toLowerCase() === emu.world.bootstrap.connectionName.toLowerCase()) {
      resolved = emu.world.bootstrap.connectionId;
    }
    inputEnv[`INPUT_${envName(name)}`] = resolved;
  }

  const secretEnv: Record<string, string> = {};
  const secretNames: string[] = JSON.parse(agentEnv.VSTS_SECRET_VARIABLES ?? '[]') as string[];
  for (const [name, value] of Object.entries(options.secretVariables ?? {})) {
    secretEnv[`SECRET_${envName(name)}`] = value;
    secretNames.push(name);
  }
  if (secretNames.length > 0) secretEnv.VSTS_SECRET_VARIABLES = JSON.stringify(secretNames);
  return { ...agentEnv, ...variableEnv, ...secretEnv, ...(options.env ?? {}), ...inputEnv };
}

/** Variable or input name as an environment variable: upper-case, '.' and ' ' become '_'. */
export function envName(name: string): string {
  return name.replace(/[. ]/g, '_').toUpperCase();
}

export function repositoryRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'workload-identity-connection') return dir;
    if (dirname(dir) === dir) throw new Error('runTask: cannot find the repository root (package.json of workload-identity-connection)');
  }
}

function readTaskInputs(root: string): TaskJsonInput[] {
  const file = join(root, 'task.json');
  if (!existsSync(file)) return [];
  const manifest = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, '')) as { inputs?: TaskJsonInput[] };
  return manifest.inputs ?? [];
}

/**
 * Reads ##vso[area.action k=v;k=v]message lines, undoing task-lib's escaping (taskcommand.ts: '%' as
 * %AZP25, CR %0D, LF %0A, and in properties also ']' %5D and ';' %3B).
 */
export function parseLoggingCommands(stdout: string): Pick<TaskRun, 'result' | 'message' | 'outputs' | 'secrets' | 'attachments'> {
  const parsed: Pick<TaskRun, 'result' | 'message' | 'outputs' | 'secrets' | 'attachments'> = { outputs: {}, secrets: [], attachments: [] };
  for (const rawLine of stdout.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    const command = /^##vso\[([\w.]+)([^\]]*)\](.*)$/.exec(line);
    if (!command) continue;
    const [, name, rawProperties, rawMessage] = command;
    const properties: Record<string, string> = {};
    for (const pair of rawProperties.trim().split(';')) {
      const at = pair.indexOf('=');
      if (at > 0) properties[pair.slice(0, at).trim().toLowerCase()] = unescape(pair.slice(at + 1));
    }
    const message = unescape(rawMessage);
    switch (name.toLowerCase()) {
      case 'task.setvariable':
        if (properties.issecret?.toLowerCase() === 'true') parsed.secrets.push(message);
        if (properties.isoutput?.toLowerCase() === 'true' && properties.variable) parsed.outputs[properties.variable] = message;
        break;
      case 'task.setsecret':
        parsed.secrets.push(message);
        break;
      case 'task.addattachment':
        parsed.attachments.push({ type: properties.type ?? '', name: properties.name ?? '', path: message });
        break;
      case 'task.complete':
        parsed.result = properties.result as TaskRun['result'];
        parsed.message = message;
        break;
      default:
        break;
    }
  }
  return parsed;
}

function unescape(text: string): string {
  return text
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%5D/g, ']')
    .replace(/%3B/g, ';')
    .replace(/%AZP25/g, '%');
}
