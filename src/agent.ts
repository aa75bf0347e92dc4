/**
 * The agent as a run sees it (src/main.ts): the raw task, one-line log lines, outputs, secrets and the
 * result. `pipelineAgent` builds it over the agent port at task-lib's level (src/agentPort.ts), with the
 * task's inputs read by src/taskInputs.ts; the command line has an `Agent` of its own
 * (src/commandLine/terminalAgent.ts).
 */
import type { AgentPort } from './agentPort';
import { oneLine, type TaskError } from './errors';
import type { OutputName } from './inputNames';
import type { RawTask } from './rawTask';
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
  succeed(message: string): void;
  /** Ends the run as SucceededWithIssues: it did its work and left something the log's warnings name. */
  succeedWithIssues(message: string): void;
  /** Ends the run as Failed: a TaskError is told in the words of where the run comes from (its hint's context). */
  fail(failure: TaskError | string): void;
}

/**
 * The pipeline's Agent over a port: every line and message on one line (oneLine: no text of a service can
 * start a logging command of its own), empty secrets not registered.
 */
export function pipelineAgent(port: AgentPort): Agent {
  return {
    readTask: () => readTask(port),
    secret: (value) => {
      if (value) port.setSecret(value);
    },
    output: (name, value) => port.setOutput(name, value),
    info: (line) => port.log(oneLine(line)),
    debug: (line) => port.debug(oneLine(line)),
    warn: (line) => port.warning(oneLine(line)),
    succeed: (message) => port.setResult('Succeeded', oneLine(message)),
    succeedWithIssues: (message) => port.setResult('SucceededWithIssues', oneLine(message)),
    fail: (failure) => port.setResult('Failed', oneLine(typeof failure === 'string' ? failure : failure.describe('task'))),
  };
}
