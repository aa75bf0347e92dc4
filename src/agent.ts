/**
 * The agent as a run sees it (src/main.ts): the raw task, one-line log lines, outputs, secrets and the
 * result. `pipelineAgent` builds it over the agent port at task-lib's level (src/agentPort.ts), with the
 * task's inputs read by src/taskInputs.ts; the command line has an `Agent` of its own
 * (src/commandLine/terminalAgent.ts).
 */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentPort } from './agentPort';
import { oneLine, type TaskError } from './errors';
import type { OutputName } from './inputNames';
import type { RawTask } from './rawTask';
import type { Summary } from './summary';
import { readTask } from './taskInputs';

/** What a run needs from whoever runs it: the pipeline agent (pipelineAgent) or a terminal. */
export interface Agent {
  readTask(): RawTask;
  /** Registers a value with the agent's masker; call it the moment a secret exists. */
  secret(value: string | undefined): void;
  output(name: OutputName, value: string): void;
  info(line: string): void;
  debug(line: string): void;
  warn(line: string): void;
  /** A long wait's progress (src/retry.ts): a log line, and the step's progress where the runner shows one. */
  progress(line: string, percent: number, operation: string): void;
  /** The run's summary: attached to the run (the pipeline), or written where the command line was told. Once per run. */
  summary(summary: Summary): void;
  succeed(message: string): void;
  /** Ends the run as SucceededWithIssues: it did its work and left something the log's warnings name. */
  succeedWithIssues(message: string): void;
  /** Ends the run as Failed: a TaskError is told in the words of where the run comes from (its hint's context). */
  fail(failure: TaskError | string): void;
}

/**
 * The pipeline's Agent over a port: every line and message on one line (oneLine: no text of a service can
 * start a logging command of its own), empty secrets not registered. The summary is a file of its own under
 * Agent.TempDirectory (the agent empties it after each job), with every registered secret replaced by ***:
 * the agent masks the log, not an attachment.
 */
export function pipelineAgent(port: AgentPort): Agent {
  const secrets = new Set<string>();
  return {
    readTask: () => readTask(port),
    secret: (value) => {
      if (!value) return;
      secrets.add(value);
      port.setSecret(value);
    },
    summary: ({ title, markdown }) => {
      const directory = port.variable('Agent.TempDirectory').value || tmpdir();
      const file = join(directory, `workload-identity-connection-${randomUUID()}.md`);
      try {
        port.attachSummary(oneLine(title), file, masked(markdown, secrets));
      } catch (error) {
        port.warning(oneLine(`Could not attach the run's summary (${file}): ${(error as Error)?.message ?? String(error)}`));
      }
    },
    output: (name, value) => port.setOutput(name, value),
    info: (line) => port.log(oneLine(line)),
    debug: (line) => port.debug(oneLine(line)),
    warn: (line) => port.warning(oneLine(line)),
    progress: (line, percent, operation) => {
      port.log(oneLine(line));
      port.setProgress(percent, oneLine(operation));
    },
    succeed: (message) => port.setResult('Succeeded', oneLine(message)),
    succeedWithIssues: (message) => port.setResult('SucceededWithIssues', oneLine(message)),
    fail: (failure) => port.setResult('Failed', oneLine(typeof failure === 'string' ? failure : failure.describe('task'))),
  };
}

/** Text with every secret replaced by ***, longest first (a secret that holds another is replaced whole). */
export function masked(text: string, secrets: Iterable<string>): string {
  let clean = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) clean = clean.split(secret).join('***');
  return clean;
}
