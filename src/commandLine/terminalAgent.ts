/**
 * The Agent for a terminal, and the command's exit codes: the task's log lines on stderr with every secret
 * scrubbed, the outputs for stdout (name=value lines or JSON), the result as the exit code.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { type Agent, masked } from '../agent';
import type { Clock } from '../clock';
import type { TaskError } from '../errors';
import type { OutputName } from '../inputNames';
import type { RawTask } from '../rawTask';
import type { Summary } from '../summary';
import { inFlagWords } from './flags';

/** Exit codes: done, failed, usage error (unknown flag, missing or malformed flag). */
export const EXIT = { done: 0, failed: 1, usage: 2 } as const;

/**
 * Where the run's Markdown summary goes besides the pipeline: `--summary FILE` (written anew), and
 * $GITHUB_STEP_SUMMARY, the file GitHub Actions renders on the run's page, which every step appends to
 * ("Adding a job summary", docs.github.com/actions/using-workflows/workflow-commands-for-github-actions#adding-a-job-summary). Neither: a
 * terminal gets nothing extra.
 */
export interface SummaryFiles {
  file?: string;
  append?: string;
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
  /** How the run failed, as --json prints it; undefined unless it failed. */
  failure?: Failure;
  private readonly secrets = new Set<string>();
  private status?: NodeJS.Timeout;
  private readonly started: number;

  constructor(
    private readonly raw: RawTask,
    private readonly terminal: Terminal,
    private readonly verbose: boolean,
    private readonly clock: Clock,
    private readonly summaryFiles: SummaryFiles = {},
  ) {
    this.started = clock.now();
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
    // eslint-disable-next-line no-control-regex -- a service's text must not move the cursor or recolour the terminal
    return masked(text, this.secrets).replace(/[\u0000-\u0008\u000b-\u001f\u007f\u009b]/g, '');
  }

  /** The summary into --summary's file and $GITHUB_STEP_SUMMARY, when given; a file that cannot be written is a warning. */
  summary({ markdown }: Summary): void {
    const { file, append } = this.summaryFiles;
    const text = this.scrub(markdown);
    const write = (path: string, how: (path: string) => void): void => {
      try {
        how(path);
      } catch (error) {
        this.warn(`could not write the summary to ${path}: ${(error as Error).message}`);
      }
    };
    if (file) write(file, (path) => writeFileSync(path, text, 'utf8'));
    // A step's summary file may hold earlier steps' sections: a blank line keeps ours a section of its own.
    if (append) write(append, (path) => appendFileSync(path, `\n${text}`, 'utf8'));
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

  /** A long wait's progress: its line; a terminal has no progress bar beyond the live status line. */
  progress(line: string): void {
    this.print(line);
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

  /** Failed: the line in the command line's words (its hints' and its flags'), kept for --json. */
  fail(failure: TaskError | string): void {
    this.exitCode = EXIT.failed;
    const message = this.scrub(inFlagWords(typeof failure === 'string' ? failure : failure.describe('commandLine')));
    this.failure = { message, ...(typeof failure === 'string' ? {} : { operation: failure.operation, code: failure.code }) };
    this.print(`error: ${message}`);
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
    this.terminal.stderr.write(`\r\x1b[K… working (${Math.round((this.clock.now() - this.started) / 1000)} s)`);
  }
}

/** The outputs as stdout shows them. */
export function formatOutputs(outputs: [string, string][], json: boolean): string {
  if (json) return `${JSON.stringify(Object.fromEntries(outputs), null, 2)}\n`;
  return outputs.map(([name, value]) => `${name}=${value}\n`).join('');
}

/** A failed run as --json tells it: the line, the operation that failed and the service's code when known. */
export interface Failure {
  message: string;
  operation?: string;
  code?: string;
}

/**
 * A failure as --json prints it on stdout, one JSON object as a success's outputs are, so that a pipeline
 * into jq reads either (`.exitCode`, `.error.message`); usage errors too (exit code 2).
 */
export function formatFailure(failure: Failure, exitCode: number): string {
  return `${JSON.stringify({ exitCode, error: failure }, null, 2)}\n`;
}
