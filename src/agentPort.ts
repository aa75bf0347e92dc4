/**
 * The agent port, at task-lib's level: what azure-pipelines-task-lib offers a task (inputs, variables,
 * endpoints, the agent's proxy and CA file, secrets, outputs, logging commands, the summary, the result), one call per
 * thing, judged by nobody. src/taskLib.ts maps it onto task-lib; the in-process tests' fake agent onto a
 * task environment in memory. Reading the task's inputs over it is src/taskInputs.ts, the Agent a run
 * talks to is src/agent.ts pipelineAgent.
 */

/** The agent's proxy, as tl.getHttpProxyConfiguration returns it. */
export interface AgentProxy {
  proxyUrl: string;
  proxyUsername?: string;
  proxyPassword?: string;
  proxyBypassHosts?: string[];
}

export type TaskResult = 'Succeeded' | 'SucceededWithIssues' | 'Failed';

/** What task-lib offers a task, one call per thing: the only way a pipeline run reaches its agent. */
export interface AgentPort {
  /** An input's value (tl.getInput, which writes `name=value` to the debug log). */
  input(name: string): string | undefined;
  /** An input's value without that debug line: for an input that may hold a secret by mistake. */
  quietInput(name: string): string | undefined;
  /** A variable's value, and whether the agent handed it over as a secret. */
  variable(name: string): { value?: string; secret: boolean };
  endpointUrl(id: string): string | undefined;
  /**
   * An endpoint's authorization parameters, undefined when the job has none; throws when the agent's
   * authorization is not JSON (as tl.getEndpointAuthorization does).
   */
  endpointAuthorization(id: string): Record<string, string> | undefined;
  endpointAuthorizationScheme(id: string): string | undefined;
  endpointData(id: string, key: string): string | undefined;
  proxy(): AgentProxy | undefined;
  /** The agent's CA file (Agent.CAInfo). */
  caFile(): string | undefined;
  /** Registers a value with the agent's masker (one line: task-lib refuses multi-line secrets). */
  setSecret(value: string): void;
  /** An output variable of the step, not secret. */
  setOutput(name: string, value: string): void;
  /** A log line as it is. */
  log(line: string): void;
  debug(line: string): void;
  warning(line: string): void;
  /**
   * The step's progress on the run's page: `##vso[task.setprogress value=N;]operation` ("Logging commands",
   * SetProgress; tl.setProgress), N a percentage.
   */
  setProgress(percent: number, operation: string): void;
  /**
   * Writes `markdown` to `file` and attaches it to the run as a summary section named `name`
   * (tl.addAttachment with type Distributedtask.Core.Summary: the run's Extensions tab shows it).
   */
  attachSummary(name: string, file: string, markdown: string): void;
  setResult(result: TaskResult, message: string): void;
}
