/**
 * Runs the bundled task the way the Azure Pipelines agent does, against the emulator, and proves a
 * created connection works the way a later pipeline would use it.
 *
 * The agent's contract with a Node task (microsoft/azure-pipelines-agent, Handlers): the task's inputs as
 * INPUT_<NAME> (defaults from task.json, $(Variable) macros expanded, a connectedService input resolved
 * from the connection's name to its id), endpoints as ENDPOINT_* variables, variables as environment
 * variables, and results as ##vso[...] logging commands on stdout.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Emulator } from '../emulator';
import { CLOUDS, type CloudName } from '../emulator/clouds';
import { httpsRequest } from '../emulator/client';

export interface TaskRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  result?: 'Succeeded' | 'SucceededWithIssues' | 'Failed';
  message?: string;
  outputs: Record<string, string>;
  secrets: string[];
  durationMs: number;
  /** The process was killed through RunOptions.signal (a crash), not ended by itself. */
  killed: boolean;
  /** When the task process was spawned, in epoch milliseconds (the clock of the emulator's request log). */
  startedAt: number;
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

const DEFAULT_ENTRY = join('dist', 'WorkloadIdentityConnection', 'index.js');

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

export async function runTask(emu: Emulator, inputs: Record<string, string>, options: RunOptions = {}): Promise<TaskRun> {
  const root = repositoryRoot();
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined && !/^(INPUT_|ENDPOINT_|SECRET_)/i.test(entry[0])),
  );
  // Each run is a job on its own agent: task-lib keeps its vault key (.taskkey) in Agent.TempDirectory, and
  // two tasks sharing one would overwrite each other's key.
  const agentTemp = mkdtempSync(join(tmpdir(), 'wic-agent-temp-'));
  const merged: Record<string, string | undefined> = {
    ...inherited,
    ...taskEnvironment(emu, inputs, options),
    AGENT_TEMPDIRECTORY: options.env && 'AGENT_TEMPDIRECTORY' in options.env ? options.env.AGENT_TEMPDIRECTORY : agentTemp,
  };
  const env = Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined));

  const startedAt = performance.timeOrigin + performance.now();
  const started = performance.now();
  const child = spawn(options.nodePath ?? process.execPath, [resolve(root, options.entry ?? DEFAULT_ENTRY)], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    signal: options.signal,
    killSignal: 'SIGKILL',
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  let killed = false;
  const exitCode = await new Promise<number>((done, fail) => {
    // An aborted signal reports an AbortError here, then 'close' with the signal.
    child.on('error', (error) => (error.name === 'AbortError' ? (killed = true) : fail(error)));
    child.on('close', (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
  const durationMs = performance.now() - started;
  rmSync(agentTemp, { recursive: true, force: true });
  const out = Buffer.concat(stdout).toString('utf8');
  return { exitCode, stdout: out, stderr: Buffer.concat(stderr).toString('utf8'), durationMs, killed, startedAt, ...parseLoggingCommands(out) };
}

export interface ConnectionUse {
  /** Status of the last step reached: ARM's answer when all went well. */
  status: number;
  /** The ARM scope the connection targets. */
  scope: string;
  body: unknown;
  /** Which step answered: the OIDC token request, the token exchange at Entra, or ARM. */
  stage: 'oidc' | 'token' | 'arm';
}

/**
 * Uses a connection exactly as a later pipeline would: the job asks Azure DevOps for an OIDC token for
 * the connection, exchanges it at Entra for an ARM token as the connection's service principal (for the
 * audience of the connection's environment), and calls ARM at the connection's URL and scope (the resource
 * group, subscription or management group). All over real HTTPS; sovereign host names are reached on the
 * loopback address serving them.
 */
export async function useConnection(emu: Emulator, connectionId: string): Promise<ConnectionUse> {
  const { world, urls } = emu;
  const ca = readFileSync(emu.caFile, 'utf8');
  const connection = emu.state().serviceConnections.find((c) => c.id.toLowerCase() === connectionId.toLowerCase());
  if (!connection) throw new Error(`useConnection: no service connection with id ${connectionId}`);
  const parameters = connection.authorization.parameters;
  const managementGroup = connection.data.scopeLevel === 'ManagementGroup';
  const scope =
    parameters.scope ??
    (managementGroup
      ? `/providers/Microsoft.Management/managementGroups/${connection.data.managementGroupId}`
      : `/subscriptions/${connection.data.subscriptionId}`);
  const cloud = CLOUDS[connection.data.environment as CloudName];
  if (!cloud) throw new Error(`useConnection: the connection names the unknown environment '${connection.data.environment}'`);

  // The pipeline runs in a project the connection is shared with; the agent hands it the OIDC URI.
  const projectId = connection.serviceEndpointProjectReferences[0].projectReference.id;
  const oidcUri = `${world.organization.url}${projectId}/_apis/distributedtask/hubs/build/plans/${world.planId}/jobs/${world.jobId}/oidctoken`;
  const oidc = await httpsRequest({
    method: 'POST',
    url: `${oidcUri}?api-version=7.1&serviceConnectionId=${connectionId}`,
    ca,
    headers: { Authorization: `Bearer ${world.jobAccessToken}`, 'Content-Type': 'application/json', 'X-TFS-FedAuthRedirect': 'Suppress' },
  });
  const oidcToken = (oidc.body as { oidcToken?: string } | undefined)?.oidcToken;
  if (oidc.status !== 200 || !oidcToken) return { status: oidc.status, scope, body: oidc.body, stage: 'oidc' };

  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: String(parameters.serviceprincipalid),
    scope: `${cloud.armAudience}/.default`,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: oidcToken,
  });
  const token = await httpsRequest({
    method: 'POST',
    url: `${emu.direct(urls.login)}${parameters.tenantid}/oauth2/v2.0/token`,
    ca,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  const accessToken = (token.body as { access_token?: string } | undefined)?.access_token;
  if (token.status !== 200 || !accessToken) return { status: token.status, scope, body: token.body, stage: 'token' };

  const apiVersion = /\/resourcegroups\/[^/]+$/i.test(scope) || managementGroup ? '2021-04-01' : '2022-12-01';
  const arm = await httpsRequest({
    method: 'GET',
    url: `${emu.direct(connection.url)}${scope.replace(/^\//, '')}?api-version=${apiVersion}`,
    ca,
    headers: { Authorization: `Bearer ${accessToken}` },
  });
  return { status: arm.status, scope, body: arm.body, stage: 'arm' };
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
export function parseLoggingCommands(stdout: string): Pick<TaskRun, 'result' | 'message' | 'outputs' | 'secrets'> {
  const parsed: Pick<TaskRun, 'result' | 'message' | 'outputs' | 'secrets'> = { outputs: {}, secrets: [] };
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
