/**
 * The agent port (src/agentPort.ts) over azure-pipelines-task-lib: the only module that imports task-lib. One
 * task-lib call per port call, and nothing judged here; where a call of task-lib would print a secret
 * before the task could mask it, the comment says which call is avoided and why.
 */
import * as internal from 'azure-pipelines-task-lib/internal';
import * as tl from 'azure-pipelines-task-lib/task';
import type { AgentPort, TaskResult } from './agentPort';

const RESULTS: Record<TaskResult, tl.TaskResult> = {
  Succeeded: tl.TaskResult.Succeeded,
  SucceededWithIssues: tl.TaskResult.SucceededWithIssues,
  Failed: tl.TaskResult.Failed,
};

export const taskLib: AgentPort = {
  input: (name) => tl.getInput(name, false),
  /**
   * tl.getInput writes `<name>=<value>` to the debug log before the task could mask the value (task.js
   * getInput); the value comes from the same vault getInput reads (internal.js _loadData stores every
   * INPUT_ variable there).
   */
  quietInput: (name) => internal._vault.retrieveSecret(`INPUT_${internal._getVariableKey(name)}`) ?? undefined,
  /**
   * Secret variables reach the task as SECRET_<NAME> and live in task-lib's vault; a public variable is
   * also a plain environment variable, which is how it shows (tl.getVariables would echo every variable's
   * value into the debug log).
   */
  variable: (name) => {
    const value = tl.getVariable(name);
    return { value, secret: value !== undefined && process.env[internal._getVariableKey(name)] === undefined };
  },
  endpointUrl: (id) => tl.getEndpointUrl(id, true),
  /**
   * The whole authorization object: getEndpointAuthorizationParameter writes each value to the debug log
   * before the task could mask it, getEndpointAuthorization only says whether the endpoint exists.
   */
  endpointAuthorization: (id) => tl.getEndpointAuthorization(id, true)?.parameters,
  endpointAuthorizationScheme: (id) => tl.getEndpointAuthorizationScheme(id, true),
  endpointData: (id, key) => tl.getEndpointDataParameter(id, key, true),
  proxy: () => tl.getHttpProxyConfiguration() ?? undefined,
  caFile: () => tl.getHttpCertConfiguration()?.caFile,
  setSecret: (value) => tl.setSecret(value),
  setOutput: (name, value) => tl.setVariable(name, value, false, true),
  log: (line) => console.log(line),
  debug: (line) => tl.debug(line),
  warning: (line) => tl.warning(line),
  setProgress: (percent, operation) => tl.setProgress(percent, operation),
  /**
   * `##vso[task.addattachment type=Distributedtask.Core.Summary;name=…]file`: the agent uploads the file
   * as a Markdown section of the run's summary ("Logging commands", AddAttachment,
   * learn.microsoft.com/azure/devops/pipelines/scripts/logging-commands); the path must be absolute.
   */
  attachSummary: (name, file, markdown) => {
    tl.writeFile(file, markdown, 'utf8');
    tl.addAttachment('Distributedtask.Core.Summary', name, file);
  },
  setResult: (result, message) => tl.setResult(RESULTS[result], message),
};
