/**
 * `workload-identity-connection`: the task's engine from a terminal or another CI system. A second thin
 * entry on the same story (src/index.ts main): the flags become the same RawTask the agent hands over, the
 * person's own sign-in is the bootstrap credential (BootstrapAuth 'DefaultAzureCredential'), and an Agent
 * for a terminal prints the task's log lines on stderr and the outputs on stdout.
 *
 * The flags are made from src/inputNames.ts INPUT_NAMES and task.json (type, default, help), so an input added
 * to the task is a flag here without a change to this file. node:util parseArgs does the parsing: it knows
 * strings, booleans, repeats and strict unknown-flag errors, which is all a flag set generated from a
 * manifest needs, and it adds nothing to the bundle.
 */
import { exec } from 'node:child_process';
import { parseArgs } from 'node:util';
import manifest from '../task.json';
import type { Agent } from './agent';
import { readCloudMetadata } from './clients';
import { cloudFromMetadata, knownCloud, KNOWN_CLOUD_NAMES, withSlash, type Cloud } from './cloud';
import { systemClock, type Clock } from './clock';
import { InputError, ServiceError, TaskError } from './errors';
import { main } from './main';
import { INPUT_NAMES, type InputName, type OutputName } from './inputNames';
import { parseRequest, SIGNED_IN_SCHEME, type RawTask } from './request';
import { VERSION } from './version';

export const COMMAND = 'workload-identity-connection';

/** Exit codes: done, failed, usage error (unknown flag, missing or malformed flag). */
export const EXIT = { done: 0, failed: 1, usage: 2 } as const;

interface ManifestInput {
  name: string;
  type: string;
  defaultValue?: string;
  helpMarkDown?: string;
  options?: Record<string, string>;
}

export interface Flag {
  /** The task input (or the command line's own setting) it stands for. */
  input: string;
  flag: string;
  boolean: boolean;
  /** Given once per value; the values become the input's lines. */
  repeatable: boolean;
  /** The command line's default, when it has one. */
  defaultValue?: string;
  help: string;
}

/** Inputs the command line has no flag for: its sign-in is the person's credential, not a service connection. */
const NOT_FLAGS: readonly InputName[] = ['bootstrapConnection'];

/**
 * Where the command line's default differs from the task's: there is no job, so Azure DevOps is reached with
 * an Entra token of the same credential, or a PAT from the Azure DevOps CLI's variable.
 */
const CLI_DEFAULTS: Partial<Record<InputName, { value: string; help: string }>> = {
  devOpsAuth: {
    value: 'bootstrapIdentity',
    help: 'How to sign in to Azure DevOps: bootstrapIdentity (default), a Microsoft Entra token of your own sign-in for Azure DevOps (you must be a member of the organization); or personalAccessToken, a token read from the environment variable --devops-token-variable names (never give a token on the command line).',
  },
  devOpsTokenVariable: {
    value: 'AZURE_DEVOPS_EXT_PAT',
    help: 'With --devops-auth personalAccessToken: the name of the environment variable that holds the token (scope Service Connections: Read, query & manage). Default: AZURE_DEVOPS_EXT_PAT, as the Azure DevOps CLI reads it.',
  },
  subscriptionId: {
    value: '',
    help: "Subscription the new connection targets and where the identity is created. Default: the Azure CLI's current subscription (az account show). Example: 00000000-0000-0000-0000-000000000000.",
  },
  organizationUrl: { value: '', help: 'Azure DevOps organization, e.g. https://dev.azure.com/contoso. Required.' },
  project: { value: '', help: 'Name or id of the project that owns the connection, e.g. platform. Required.' },
};

/** The command line's own settings, besides the task's inputs. */
const OWN_FLAGS: Flag[] = [
  {
    input: 'tenantId',
    flag: 'tenant-id',
    boolean: false,
    repeatable: false,
    help: "Microsoft Entra tenant to sign in to. Default: AZURE_TENANT_ID, else the Azure CLI's current tenant (az account show).",
  },
  {
    input: 'cloud',
    flag: 'cloud',
    boolean: false,
    repeatable: false,
    help: `Azure cloud: ${KNOWN_CLOUD_NAMES.join(', ')}. Default: AzureCloud. For any other cloud use --resource-manager-url.`,
  },
  {
    input: 'resourceManagerUrl',
    flag: 'resource-manager-url',
    boolean: false,
    repeatable: false,
    help: 'Azure Resource Manager URL of the cloud; its endpoints (authority, Microsoft Graph, audience) are read from {url}/metadata/endpoints, as the Azure CLI does. Example: https://management.azure.com/',
  },
  { input: 'json', flag: 'json', boolean: true, repeatable: false, help: 'Print the outputs as one JSON object instead of name=value lines.' },
  { input: 'verbose', flag: 'verbose', boolean: true, repeatable: false, help: 'Also print debug lines on stderr.' },
  { input: 'help', flag: 'help', boolean: true, repeatable: false, help: 'Show this help.' },
  { input: 'version', flag: 'version', boolean: true, repeatable: false, help: 'Show the version.' },
];

/** A task input as a flag: kebab case, with `devOps…` as `devops-…` (devOpsAuth: --devops-auth). */
export function flagName(input: string): string {
  return input.replace(/^devOps/, 'devops').replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** Markdown help as plain text in the command line's words: no backticks, link targets or editor lists. */
function plain(markdown: string): string {
  return inFlagWords(
    markdown
      .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
      .replace(/`/g, '')
      .replace(/\s+/g, ' ')
      .replace(/ The list [^.]*\./g, '')
      .trim(),
  );
}

/** Every flag: one per task input (minus the bootstrap connection), then the command line's own. */
export function flags(): Flag[] {
  const inputs = (manifest as { inputs: ManifestInput[] }).inputs;
  const fromInputs = INPUT_NAMES.filter((name) => !NOT_FLAGS.includes(name)).map((name): Flag => {
    const declared = inputs.find((input) => input.name === name);
    const own = CLI_DEFAULTS[name];
    const taskDefault = declared?.defaultValue && !declared.defaultValue.includes('$(') ? declared.defaultValue : undefined;
    return {
      input: name,
      flag: flagName(name),
      boolean: declared?.type === 'boolean',
      repeatable: declared?.type === 'multiLine',
      defaultValue: own ? own.value || undefined : taskDefault,
      help: own?.help ?? plain(declared?.helpMarkDown ?? ''),
    };
  });
  return [...fromInputs, ...OWN_FLAGS];
}

export function helpText(): string {
  const all = flags();
  const lines = [
    `${COMMAND} ${VERSION}: creates or finds an Azure Resource Manager service connection that signs in with workload identity federation, and the managed identity or app registration behind it, signed in as you (az login) or as a CI identity (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE).`,
    '',
    `Usage: ${COMMAND} --organization-url URL --project NAME --connection-name NAME [flags]`,
    '',
    'Progress goes to stderr, the outputs to stdout (name=value lines, or JSON with --json).',
    'Exit codes: 0 done, 1 failed, 2 usage error.',
    '',
    'Flags:',
  ];
  for (const flag of all) {
    const value = flag.boolean ? '' : flag.repeatable ? ' VALUE (repeatable)' : ' VALUE';
    lines.push(`  --${flag.flag}${value}`);
    lines.push(`      ${flag.help}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A mistake on the command line: exit code 2, before anything is sent. */
export class UsageError extends Error {}

export interface CommandLine {
  inputs: Partial<Record<InputName, string>>;
  tenantId?: string;
  cloud?: string;
  resourceManagerUrl?: string;
  json: boolean;
  verbose: boolean;
}

export type Parsed = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; commandLine: CommandLine };

export function parseCommandLine(argv: string[]): Parsed {
  const all = flags();
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(all.map((f) => [f.flag, { type: f.boolean ? 'boolean' : 'string', multiple: f.repeatable }])),
    }).values;
  } catch (error) {
    // parseArgs' own words name the flag ("Unknown option '--x'"); the fix is the help.
    throw new UsageError(`${(error as Error).message.replace(/\.? To specify a positional argument.*$/s, '')}. See ${COMMAND} --help.`);
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const inputs: Partial<Record<InputName, string>> = {};
  for (const flag of all) {
    if (!(INPUT_NAMES as readonly string[]).includes(flag.input)) continue;
    const value = values[flag.flag];
    const text = Array.isArray(value) ? value.join('\n') : typeof value === 'boolean' ? String(value) : value;
    const given = text ?? flag.defaultValue;
    if (given !== undefined) inputs[flag.input as InputName] = given;
  }
  const text = (name: string): string | undefined => (typeof values[name] === 'string' ? values[name] : undefined);
  const cloud = text('cloud');
  if (cloud && !knownCloud(cloud)) {
    throw new UsageError(
      `--cloud has the unsupported value '${cloud}'. Supported values are: ${KNOWN_CLOUD_NAMES.join(', ')}; for another cloud use --resource-manager-url.`,
    );
  }
  if (cloud && text('resource-manager-url')) throw new UsageError('--cloud and --resource-manager-url name the cloud twice; give one of them.');
  if (inputs.devOpsAuth?.trim().toLowerCase() === 'jobaccesstoken') {
    throw new UsageError('--devops-auth jobAccessToken needs a pipeline job; use bootstrapIdentity (the default) or personalAccessToken.');
  }
  return {
    kind: 'run',
    commandLine: {
      inputs,
      tenantId: text('tenant-id'),
      cloud,
      resourceManagerUrl: text('resource-manager-url'),
      json: values.json === true,
      verbose: values.verbose === true,
    },
  };
}

/** A task message in the command line's words: input names become their flags. */
export function inFlagWords(message: string): string {
  const names = [...INPUT_NAMES, 'tenantId'].filter((name) => /[A-Z]/.test(name));
  let text = message.replace(/^Input '(\w+)'/, (_, name: string) => `--${flagName(name)}`);
  for (const name of names) text = text.replace(new RegExp(`(?<![\\w-])'?${name}'?(?![\\w-])`, 'g'), `--${flagName(name)}`);
  return text;
}

/** What the command line learns from the Azure CLI when it is installed and signed in. */
interface AzureCliAccount {
  id?: string;
  tenantId?: string;
}

/** `az account show`: the Azure CLI's current subscription and tenant, or why there is none. */
function azureCliAccount(): Promise<AzureCliAccount | { problem: string }> {
  return new Promise((done) => {
    exec('az account show --output json', { timeout: 30_000, windowsHide: true }, (error, stdout, stderr) => {
      if (error) {
        done({
          problem:
            String(stderr || error.message)
              .split(/\r?\n/)
              .find(Boolean) ?? 'az account show failed',
        });
        return;
      }
      try {
        done(JSON.parse(stdout) as AzureCliAccount);
      } catch {
        done({ problem: 'az account show printed no JSON' });
      }
    });
  });
}

/**
 * The proxy from the environment, as the Azure SDKs and the Azure CLI read it: HTTPS_PROXY (or HTTP_PROXY),
 * and NO_PROXY host names (a leading dot or none: the host and its subdomains), as the task's bypass patterns.
 */
export function networkFromEnvironment(env: NodeJS.ProcessEnv): RawTask['network'] {
  const proxyUrl = env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy || undefined;
  const bypass = (env.NO_PROXY || env.no_proxy || '')
    .split(',')
    .map((host) => host.trim().replace(/^\*?\./, ''))
    .filter(Boolean)
    .map((host) => (host === '*' ? '.*' : `^https?://([^/@]*\\.)?${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(:\\d+)?(/|$)`));
  if (!proxyUrl) return {};
  const url = new URL(proxyUrl);
  return {
    proxyUrl: `${url.protocol}//${url.host}`,
    proxyUsername: decodeURIComponent(url.username) || undefined,
    proxyPassword: decodeURIComponent(url.password) || undefined,
    proxyBypassHosts: bypass,
  };
}

/** The endpoint data the task reads from a bootstrap connection, for a cloud the command line found. */
function cloudData(cloud: Cloud): RawTask['bootstrap']['data'] {
  return {
    environment: cloud.environment,
    resourceManagerUrl: cloud.resourceManagerUrl,
    activeDirectoryAuthority: cloud.authorityHost,
    microsoftGraphUrl: cloud.graphUrl,
    activeDirectoryServiceEndpointResourceId: cloud.resourceManagerAudience,
  };
}

/**
 * The RawTask the task would get, from the command line and this machine: the cloud (a known one, or read
 * from ARM's metadata endpoint), the tenant and subscription (flags, AZURE_TENANT_ID, the Azure CLI), the
 * PAT from its environment variable, the proxy from the environment.
 */
export async function rawTask(commandLine: CommandLine, env: NodeJS.ProcessEnv, clock: Clock): Promise<RawTask> {
  const network = networkFromEnvironment(env);
  let cloud: Cloud;
  if (commandLine.resourceManagerUrl) {
    let armUrl: URL;
    try {
      armUrl = new URL(commandLine.resourceManagerUrl);
    } catch {
      throw new UsageError(`--resource-manager-url '${commandLine.resourceManagerUrl}' is not a URL; e.g. https://management.azure.com/.`);
    }
    if (armUrl.protocol !== 'https:') throw new UsageError(`--resource-manager-url '${commandLine.resourceManagerUrl}' is not an https URL.`);
    const metadata = await readCloudMetadata(withSlash(armUrl.toString()), settingsOf(network), clock);
    const found = cloudFromMetadata(withSlash(armUrl.toString()), metadata);
    if (!found) {
      throw new ServiceError('the answer names no login endpoint or audience', {
        operation: `read the cloud's endpoints from ${armUrl.origin}/metadata/endpoints`,
        hint: 'Check --resource-manager-url: it must be the Azure Resource Manager URL of an Azure cloud, e.g. https://management.azure.com/',
      });
    }
    cloud = found;
  } else {
    cloud = knownCloud(commandLine.cloud ?? 'AzureCloud')!;
  }
  // Every Azure SDK reads AZURE_AUTHORITY_HOST as the authority to sign in at; so does this command.
  if (env.AZURE_AUTHORITY_HOST) cloud = { ...cloud, authorityHost: withSlash(env.AZURE_AUTHORITY_HOST) };

  let tenantId = commandLine.tenantId || env.AZURE_TENANT_ID || undefined;
  let subscriptionId = commandLine.inputs.subscriptionId || undefined;
  if (!tenantId || !subscriptionId) {
    const account = await azureCliAccount();
    const problem = 'problem' in account ? account.problem : undefined;
    if (!('problem' in account)) {
      tenantId ??= account.tenantId;
      subscriptionId ??= account.id;
    }
    if (!subscriptionId) {
      throw new UsageError(
        `--subscription-id is required: the Azure CLI names no current subscription${problem ? ` (${problem})` : ''}. Give --subscription-id, or sign in with az login.`,
      );
    }
    if (!tenantId) throw new UsageError(`--tenant-id is required: neither AZURE_TENANT_ID nor the Azure CLI names a tenant${problem ? ` (${problem})` : ''}.`);
  }

  const variable = (commandLine.inputs.devOpsTokenVariable ?? '').trim();
  const personal = commandLine.inputs.devOpsAuth?.trim().toLowerCase() === 'personalaccesstoken';
  if (personal && variable && /^[A-Za-z_]\w*$/.test(variable) && !env[variable]) {
    throw new UsageError(`--devops-token-variable names the environment variable '${variable}', which is not set; put the personal access token in it.`);
  }
  return {
    inputs: { ...commandLine.inputs, subscriptionId },
    bootstrap: {
      id: 'signed-in credential',
      url: cloud.resourceManagerUrl,
      scheme: SIGNED_IN_SCHEME,
      parameters: { tenantid: tenantId },
      data: cloudData(cloud),
    },
    // An environment variable is as secret as the task's secret variables: never on the command line, never printed.
    devOpsTokenVariable: personal && variable ? { value: env[variable], secret: true } : undefined,
    network,
  };
}

function settingsOf(network: RawTask['network']): { proxy?: { url: string; username?: string; password?: string; bypass: string[] } } {
  if (!network?.proxyUrl) return {};
  return { proxy: { url: network.proxyUrl, username: network.proxyUsername, password: network.proxyPassword, bypass: network.proxyBypassHosts ?? [] } };
}

export interface Terminal {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

/**
 * The Agent for a terminal: log lines on stderr with every registered secret scrubbed, outputs collected
 * for stdout, the result as the exit code. On a TTY a one-line status shows the run is alive between lines.
 */
export class TerminalAgent implements Agent {
  readonly outputs: [OutputName, string][] = [];
  exitCode: number = EXIT.failed;
  private readonly secrets = new Set<string>();
  private status?: NodeJS.Timeout;
  private readonly started = Date.now();

  constructor(
    private readonly raw: RawTask,
    private readonly terminal: Terminal,
    private readonly verbose: boolean,
  ) {
    this.secret(raw.devOpsTokenVariable?.value);
    this.secret(raw.network?.proxyPassword);
    if (terminal.stderr.isTTY) {
      this.status = setInterval(() => this.showStatus(), 250);
      this.status.unref();
    }
  }

  readTask(): RawTask {
    return this.raw;
  }

  secret(value: string | undefined): void {
    if (!value) return;
    this.secrets.add(value);
    for (const line of value.split(/\r?\n/)) if (line.trim().length >= 8) this.secrets.add(line.trim());
  }

  /** A value with every secret replaced by ***, longest first, and no terminal control sequences. */
  scrub(text: string): string {
    let clean = text;
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) clean = clean.split(secret).join('***');
    // eslint-disable-next-line no-control-regex -- a service's text must not move the cursor or recolour the terminal
    return clean.replace(/[\u0000-\u0008\u000b-\u001f\u007f\u009b]/g, '');
  }

  output(name: OutputName, value: string): void {
    this.outputs.push([name, this.scrub(value)]);
  }

  info(line: string): void {
    this.print(line);
  }

  debug(line: string): void {
    if (this.verbose) this.print(`debug: ${line}`);
  }

  warn(line: string): void {
    this.print(`warning: ${line}`);
  }

  succeed(message: string): void {
    this.exitCode = EXIT.done;
    this.print(message);
  }

  /** Done, with warnings already printed: exit code 0 (the work is done), the message says what to look at. */
  succeedWithIssues(message: string): void {
    this.exitCode = EXIT.done;
    this.print(`warning: ${inFlagWords(message)}`);
  }

  fail(message: string): void {
    this.exitCode = EXIT.failed;
    this.print(`error: ${inFlagWords(message)}`);
  }

  /** Ends the live status line. */
  close(): void {
    if (this.status) clearInterval(this.status);
    this.status = undefined;
    if (this.terminal.stderr.isTTY) this.terminal.stderr.write('\r\x1b[K');
  }

  private print(line: string): void {
    const text = this.scrub(line.replace(/\s*[\r\n]+\s*/g, ' ').trim());
    this.terminal.stderr.write(this.terminal.stderr.isTTY ? `\r\x1b[K${text}\n` : `${text}\n`);
    this.showStatus();
  }

  private showStatus(): void {
    if (!this.status) return;
    this.terminal.stderr.write(`\r\x1b[K… working (${Math.round((Date.now() - this.started) / 1000)} s)`);
  }
}

/** The outputs as stdout shows them. */
export function formatOutputs(outputs: [string, string][], json: boolean): string {
  if (json) return `${JSON.stringify(Object.fromEntries(outputs), null, 2)}\n`;
  return outputs.map(([name, value]) => `${name}=${value}\n`).join('');
}

/** One run of the command; the answer is the exit code. */
export async function run(argv: string[], env: NodeJS.ProcessEnv, terminal: Terminal, clock: Clock = systemClock): Promise<number> {
  const usage = (message: string): number => {
    terminal.stderr.write(`error: ${message}\n`);
    return EXIT.usage;
  };
  let parsed: Parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    throw error;
  }
  if (parsed.kind === 'help') {
    terminal.stdout.write(helpText());
    return EXIT.done;
  }
  if (parsed.kind === 'version') {
    terminal.stdout.write(`${VERSION}\n`);
    return EXIT.done;
  }
  const { commandLine } = parsed;
  // The inputs are judged before anything is sent, with stand-ins for what only the machine can tell.
  const placeholder = '00000000-0000-0000-0000-000000000000';
  try {
    parseRequest({
      inputs: { ...commandLine.inputs, subscriptionId: commandLine.inputs.subscriptionId || placeholder },
      bootstrap: { id: 'signed-in credential', scheme: SIGNED_IN_SCHEME, parameters: { tenantid: commandLine.tenantId || placeholder }, data: {} },
      devOpsTokenVariable: { value: 'set', secret: true },
    });
  } catch (error) {
    if (error instanceof InputError) return usage(inFlagWords(error.describe()));
    throw error;
  }
  let raw: RawTask;
  try {
    raw = await rawTask(commandLine, env, clock);
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    const message = error instanceof TaskError ? error.describe() : (error as Error).message;
    terminal.stderr.write(`error: ${message}\n`);
    return EXIT.failed;
  }
  const agent = new TerminalAgent(raw, terminal, commandLine.verbose);
  try {
    await main(agent, clock);
  } finally {
    agent.close();
  }
  if (agent.exitCode === EXIT.done && !raw.inputs.dryRun?.match(/^true$/i)) terminal.stdout.write(formatOutputs(agent.outputs, commandLine.json));
  else if (agent.exitCode === EXIT.done && commandLine.json) terminal.stdout.write('{}\n');
  return agent.exitCode;
}

if (require.main === module) {
  void run(process.argv.slice(2), process.env, process).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`error: Unexpected failure: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = EXIT.failed;
    },
  );
}
