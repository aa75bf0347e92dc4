/**
 * The command line's flags and help, made from src/inputNames.ts INPUT_NAMES and task.json (type, default,
 * help), so an input added to the task is a flag without a change to this file; parsing argv into the
 * task's inputs; task messages in flag words.
 *
 * node:util parseArgs does the parsing: it knows strings, booleans, repeats and strict unknown-flag errors,
 * which is all a flag set generated from a manifest needs, and it adds nothing to the bundle.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import manifest from '../../task.json';
import { knownCloud, KNOWN_CLOUD_NAMES } from '../cloud';
import { ACTION_NAMES, type ActionName } from '../actions';
import { INPUT_NAMES, type InputName } from '../inputNames';
import { VERSION } from '../version';

export const COMMAND = 'workload-identity-connection';

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
  project: { value: '', help: 'Name or id of the project that owns the connection, e.g. platform. Required (inventory: with --inventory-scope project).' },
  reportPath: {
    value: join(tmpdir(), 'workload-identity-inventory.json'),
    help: `inventory only: where the JSON report goes. Default: ${join(tmpdir(), 'workload-identity-inventory.json')}. The command prints it with --json, else a table of the connections and their findings.`,
  },
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
  {
    input: 'summary',
    flag: 'summary',
    boolean: false,
    repeatable: false,
    help: "Also write the run's summary, in Markdown (what was created, updated or kept, with links; the warnings; the outputs; on failure what was done and the fix), to this file. When GITHUB_STEP_SUMMARY is set (GitHub Actions), the summary is appended there too.",
  },
  { input: 'verbose', flag: 'verbose', boolean: true, repeatable: false, help: 'Also print debug lines on stderr.' },
  { input: 'help', flag: 'help', boolean: true, repeatable: false, help: 'Show this help.' },
  { input: 'version', flag: 'version', boolean: true, repeatable: false, help: 'Show the version.' },
];

/** A task input as a flag: kebab case, with `devOps…` as `devops-…` (devOpsAuth: --devops-auth). */
export function flagName(input: string): string {
  return input.replace(/^devOps/, 'devops').replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/**
 * Markdown help as plain text in the command line's words: no backticks, link targets or editor lists; a
 * switch without its example value, a repeatable flag "repeat the flag" where the task says "one per line",
 * and the identity of --devops-auth where the task says the job's.
 */
function plain(markdown: string, kind: { boolean: boolean; repeatable: boolean }): string {
  let text = markdown
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/`/g, '')
    .replace(/\*([^*\s][^*]*)\*/g, '$1')
    .replace(/\s+/g, ' ')
    .replace(/ The list [^.]*\./g, '')
    .replace(/;? ?the list is the picked subscription's/g, '')
    .replace(/ Details: README, [^.]*\./g, '')
    .replace(/\bthe job identity\b|\bthe job's token\b/gi, 'the identity of --devops-auth')
    .replace(/ \(see the bootstrap connection's help\)/, '')
    .trim();
  if (kind.boolean) {
    text = text
      .replace(/ Example: [^.]*(\.|$)/, '')
      .replace(/^When true,/, 'When on,')
      .replace(/Default: (true|false)/, (_, value: string) => `Default: ${value === 'true' ? 'on' : 'off'}`);
  }
  if (kind.repeatable) {
    text = text
      .replace(/,? one per line(?: \(commas also separate\))?/, ' (repeat the flag for each)')
      .replace(/ one ([\w@]+) a line/, ' $1 (repeat the flag for each)');
  }
  return inFlagWords(text);
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
      help: own?.help ?? plain(declared?.helpMarkDown ?? '', { boolean: declared?.type === 'boolean', repeatable: declared?.type === 'multiLine' }),
    };
  });
  return [...fromInputs, ...OWN_FLAGS];
}

export function helpText(): string {
  const all = flags();
  const lines = [
    `${COMMAND} ${VERSION}: creates or finds an Azure Resource Manager service connection that signs in with workload identity federation, and the managed identity or app registration behind it, signed in as you (az login) or as a CI identity (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE).`,
    '',
    `Usage: ${COMMAND} [ACTION] --organization-url URL --project NAME --connection-name NAME [flags]`,
    `ACTION: ${ACTION_NAMES.join(', ')}; without one, provision (also --action).`,
    '',
    'Progress goes to stderr, the outputs to stdout (name=value lines, or JSON with --json).',
    'Exit codes: 0 done, 1 failed, 2 usage error.',
    'Switches: --name turns one on, --no-name off; --name=true|false and --name true|false work too.',
    'Repeatable flags: repeat the flag, one value each (--authorize-pipelines a --authorize-pipelines b).',
    '',
    'Flags:',
  ];
  for (const flag of all) {
    const value = flag.boolean ? `, --no-${flag.flag}` : flag.repeatable ? ' VALUE (repeat the flag)' : ' VALUE';
    lines.push(`  --${flag.flag}${value}`);
    lines.push(`      ${flag.help}`);
  }
  lines.push('', 'Examples:', ...EXAMPLES.map((line) => `  ${line}`));
  return `${lines.join('\n')}\n`;
}

/**
 * The help's Examples, one command a line (a comment line above each). An action added later (inventory)
 * adds its example line here, after the last one.
 */
const EXAMPLES = [
  '# The first connection: a managed identity in rg-identities, Contributor on rg-app1-dev (signed in with az login)',
  `${COMMAND} --organization-url https://dev.azure.com/contoso --project app1 --connection-name app1-dev --identity-resource-group rg-identities --resource-group rg-app1-dev`,
  '# An app registration instead of a managed identity',
  `${COMMAND} --organization-url https://dev.azure.com/contoso --project app1 --connection-name app1-dev --identity-type appRegistration --resource-group rg-app1-dev`,
  '# A dry run: what a run would create, update and keep; nothing is written',
  `${COMMAND} --organization-url https://dev.azure.com/contoso --project app1 --connection-name app1-dev --identity-resource-group rg-identities --dry-run`,
  '# Without verification, and with a PAT from AZURE_DEVOPS_EXT_PAT',
  `${COMMAND} --organization-url https://dev.azure.com/contoso --project app1 --connection-name app1-dev --identity-resource-group rg-identities --no-verify-connection --devops-auth personalAccessToken`,
];

/** A mistake on the command line: exit code 2, before anything is sent. */
export class UsageError extends Error {}

export interface CommandLine {
  inputs: Partial<Record<InputName, string>>;
  tenantId?: string;
  cloud?: string;
  resourceManagerUrl?: string;
  /** The file for the run's Markdown summary (--summary). */
  summary?: string;
  json: boolean;
  verbose: boolean;
}

export type Parsed = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; commandLine: CommandLine };

export function parseCommandLine(argv: string[]): Parsed {
  const all = flags();
  // The action may come first as a word (`workload-identity-connection inventory …`), as in az and git.
  const word = argv[0] !== undefined && !argv[0].startsWith('-') ? argv[0] : undefined;
  if (word !== undefined) argv = argv.slice(1);
  if (word !== undefined && !ACTION_NAMES.includes(word as ActionName)) {
    throw new UsageError(`'${word}' is not an action. Actions: ${ACTION_NAMES.join(', ')} (the default). See ${COMMAND} --help.`);
  }
  const { rest, switches } = takeSwitches(argv, all);
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  let tokens: { kind: string; name?: string; value?: string }[];
  try {
    ({ values, tokens } = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: false,
      tokens: true,
      options: Object.fromEntries(all.filter((f) => !f.boolean).map((f) => [f.flag, { type: 'string', multiple: f.repeatable }])),
    }));
  } catch (error) {
    // parseArgs' own words name the flag ("Unknown option '--x'"); the fix is the help.
    throw new UsageError(`${(error as Error).message.replace(/\.? To specify a positional argument.*$/s, '')}. See ${COMMAND} --help.`);
  }
  assertGivenOnce(all, tokens);
  if (switches.get('help')) return { kind: 'help' };
  if (switches.get('version')) return { kind: 'version' };
  const inputs: Partial<Record<InputName, string>> = {};
  for (const flag of all) {
    if (!(INPUT_NAMES as readonly string[]).includes(flag.input)) continue;
    const value = flag.boolean ? switches.get(flag.flag) : values[flag.flag];
    const text = Array.isArray(value) ? value.join('\n') : typeof value === 'boolean' ? String(value) : value;
    const given = text ?? flag.defaultValue;
    if (given !== undefined) inputs[flag.input as InputName] = given;
  }
  const text = (name: string): string | undefined => (typeof values[name] === 'string' ? values[name] : undefined);
  if (word !== undefined) {
    if (text('action') !== undefined && text('action') !== word)
      throw new UsageError(`The action is given twice ('${word}' and --action '${text('action')}'); give it once.`);
    inputs.action = word;
  }
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
      summary: text('summary'),
      json: switches.get('json') === true,
      verbose: switches.get('verbose') === true,
    },
  };
}

/**
 * The switches (boolean flags), in every spelling a person tries: `--name`, `--no-name`, `--name=true|false`
 * and `--name true|false` (true/false in any case). node:util parseArgs knows only the first (its
 * allowNegative is Node 22's), so the switches are taken out of argv here and the rest is left to it. A
 * switch given twice with different values is refused, as a single-value flag given twice is.
 */
function takeSwitches(argv: string[], all: Flag[]): { rest: string[]; switches: Map<string, boolean> } {
  const switches = new Map<string, boolean>();
  const names = new Set(all.filter((f) => f.boolean).map((f) => f.flag));
  const takesValue = new Set(all.filter((f) => !f.boolean).map((f) => f.flag));
  const rest: string[] = [];
  const set = (name: string, value: boolean): void => {
    if (switches.has(name) && switches.get(name) !== value) {
      throw new UsageError(`--${name} is given as both ${String(switches.get(name))} and ${String(value)}; give it once. See ${COMMAND} --help.`);
    }
    switches.set(name, value);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const [, name, , given] = /^--([^=]+)(=(.*))?$/s.exec(arg) ?? [];
    if (name !== undefined && takesValue.has(name)) {
      // A value flag's value is never a switch, whatever it looks like.
      rest.push(arg);
      if (given === undefined && i + 1 < argv.length) rest.push(argv[++i]);
    } else if (name !== undefined && names.has(name)) {
      if (given !== undefined) {
        if (!/^(true|false)$/i.test(given)) throw new UsageError(`--${name} takes true or false, not '${given}'. See ${COMMAND} --help.`);
        set(name, /^true$/i.test(given));
      } else if (/^(true|false)$/i.test(argv[i + 1] ?? '')) {
        set(name, /^true$/i.test(argv[++i]));
      } else {
        set(name, true);
      }
    } else if (name?.startsWith('no-') && names.has(name.slice(3)) && given === undefined) {
      set(name.slice(3), false);
    } else {
      rest.push(arg);
    }
  }
  return { rest, switches };
}

/**
 * A single-value flag given twice: parseArgs keeps the last value without a word, so `--connection-name sc-a
 * … --connection-name sc-b` would act on sc-b alone. Refused, naming the flag and both values; the
 * repeatable flags (multi-line inputs) take one line per occurrence, and switches are left to their own rules.
 */
function assertGivenOnce(all: Flag[], tokens: { kind: string; name?: string; value?: string }[]): void {
  const single = new Set(all.filter((f) => !f.repeatable && !f.boolean).map((f) => f.flag));
  const seen = new Map<string, string[]>();
  for (const token of tokens) {
    if (token.kind !== 'option' || !token.name || !single.has(token.name)) continue;
    const values = [...(seen.get(token.name) ?? []), token.value ?? ''];
    seen.set(token.name, values);
    if (values.length > 1) {
      throw new UsageError(`--${token.name} is given ${values.length} times (${values.map((v) => `'${v}'`).join(', ')}); give it once. See ${COMMAND} --help.`);
    }
  }
}

/** A task message in the command line's words: input names become their flags. */
export function inFlagWords(message: string): string {
  const names = [...INPUT_NAMES, 'tenantId'].filter((name) => /[A-Z]/.test(name));
  let text = message.replace(/^Input '(\w+)'/, (_, name: string) => `--${flagName(name)}`);
  for (const name of names) text = text.replace(new RegExp(`(?<![\\w-])'?${name}'?(?![\\w-])`, 'g'), `--${flagName(name)}`);
  return text;
}
