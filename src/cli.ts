/**
 * `workload-identity-connection`: the task's engine from a terminal or another CI system. A second thin
 * entry on the same story (src/main.ts main): the flags become the same RawTask the agent hands over
 * (src/commandLine/flags.ts, taskFromMachine.ts), the person's own sign-in is the bootstrap credential, and
 * an Agent for a terminal (src/commandLine/terminalAgent.ts) prints the task's log lines on stderr and the
 * outputs on stdout.
 */
import { systemClock, type Clock } from './clock';
import { InputError, TaskError } from './errors';
import { ACTIONS, parseAction } from './actions';
import { main } from './main';
import type { RawTask } from './rawTask';
import { SIGNED_IN_SCHEME } from './requestAccess';
import { helpText, inFlagWords, parseCommandLine, type Parsed, UsageError } from './commandLine/flags';
import { inventoryStdout } from './commandLine/inventoryTable';
import { rawTask } from './commandLine/taskFromMachine';
import { EXIT, type Failure, formatFailure, formatOutputs, type Terminal, TerminalAgent } from './commandLine/terminalAgent';
import { VERSION } from './version';

/** One run of the command; the answer is the exit code. */
export async function run(argv: string[], env: NodeJS.ProcessEnv, terminal: Terminal, clock: Clock = systemClock): Promise<number> {
  // Known before the flags are parsed, so that a usage error is JSON too when --json was asked for.
  const json = argv.some((arg) => /^--json(=true)?$/i.test(arg));
  const failed = (exitCode: number, failure: Failure): number => {
    terminal.stderr.write(`error: ${failure.message}\n`);
    if (json) terminal.stdout.write(formatFailure(failure, exitCode));
    return exitCode;
  };
  const usage = (message: string): number => failed(EXIT.usage, { message });
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
    ACTIONS[parseAction(commandLine.inputs.action)].check({
      inputs: { ...commandLine.inputs, subscriptionId: commandLine.inputs.subscriptionId || placeholder },
      bootstrap: { id: 'signed-in credential', scheme: SIGNED_IN_SCHEME, parameters: { tenantid: commandLine.tenantId || placeholder }, data: {} },
      devOpsTokenVariable: { value: 'set', secret: true },
    });
  } catch (error) {
    if (error instanceof InputError) return usage(inFlagWords(error.describe('commandLine')));
    throw error;
  }
  let raw: RawTask;
  try {
    raw = await rawTask(commandLine, env, clock);
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    if (!(error instanceof TaskError)) return failed(EXIT.failed, { message: (error as Error).message });
    return failed(EXIT.failed, { message: inFlagWords(error.describe('commandLine')), operation: error.operation, code: error.code });
  }
  const agent = new TerminalAgent(raw, terminal, commandLine.verbose, clock, { file: commandLine.summary, append: env.GITHUB_STEP_SUMMARY || undefined });
  try {
    await main(agent, clock);
  } finally {
    agent.close();
  }
  // An inventory or a migration prints its report: the JSON with --json, else a table (src/commandLine/inventoryTable.ts).
  const report = ['inventory', 'migrate'].includes(parseAction(raw.inputs.action)) ? inventoryStdout(agent.outputs, commandLine.json) : undefined;
  if (report !== undefined && (agent.exitCode === EXIT.done || !commandLine.json)) terminal.stdout.write(report);
  else if (agent.exitCode === EXIT.done && !raw.inputs.dryRun?.match(/^true$/i)) terminal.stdout.write(formatOutputs(agent.outputs, commandLine.json));
  else if (agent.exitCode === EXIT.done && commandLine.json) terminal.stdout.write('{}\n');
  else if (agent.failure && commandLine.json) terminal.stdout.write(formatFailure(agent.failure, agent.exitCode));
  return agent.exitCode;
}

/**
 * A reader that closes stdout early (`| head -1`) makes the next write fail with EPIPE, which Node raises as
 * an 'error' event that ends the process with a stack trace and exit code 1 after the run's work is done.
 * Nobody is left to read: the write is dropped, and the exit code says what the run did.
 */
export function ignoreClosedReader(stream: NodeJS.EventEmitter): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

if (require.main === module) {
  ignoreClosedReader(process.stdout);
  void run(process.argv.slice(2), process.env, process).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`error: Unexpected failure: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = EXIT.failed;
    },
  );
}
