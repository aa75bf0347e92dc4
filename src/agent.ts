/**
 * The only module that touches the agent (azure-pipelines-task-lib): it reads inputs, endpoints and
 * variables, masks secrets, writes outputs and log lines, and sets the result.
 */
import * as internal from 'azure-pipelines-task-lib/internal';
import * as tl from 'azure-pipelines-task-lib/task';
import { oneLine } from './errors';
import { INPUT_NAMES, type OutputName } from './inputNames';
import { isVariableName, type RawTask } from './request';

/** The bootstrap endpoint's authorization parameters and data the task reads (exported for the in-process tests' fake agent). */
export const ENDPOINT_PARAMETERS = ['tenantid', 'serviceprincipalid', 'authenticationType', 'serviceprincipalkey', 'servicePrincipalCertificate'] as const;
export const ENDPOINT_DATA = [
  'environment',
  'subscriptionId',
  'subscriptionName',
  'resourceManagerUrl',
  'activeDirectoryAuthority',
  'environmentAuthorityUrl',
  'microsoftGraphUrl',
  'activeDirectoryServiceEndpointResourceId',
  'msiclientId',
] as const;

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
  fail(message: string): void;
}

/**
 * An endpoint's authorization parameters, read from the whole authorization object:
 * getEndpointAuthorizationParameter writes each value to the debug log before we could mask it,
 * getEndpointAuthorization only says whether the endpoint exists.
 */
function authorizationParameters(endpointId: string): (key: string) => string | undefined {
  let parameters: Record<string, string> = {};
  try {
    parameters = tl.getEndpointAuthorization(endpointId, true)?.parameters ?? {};
  } catch {
    // A malformed authorization reads as an empty one; the request validation names what is missing.
  }
  return (key) => Object.entries(parameters).find(([name]) => name.toLowerCase() === key.toLowerCase())?.[1];
}

/**
 * The lines of a PEM private key's body, to mask one by one: task-lib refuses multi-line secrets
 * ("Secrets cannot contain multiple lines"), and the agent masks line by line anyway. The certificate
 * itself is public.
 */
export function privateKeyLines(pem: string | undefined): string[] {
  const key = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----([\s\S]*?)-----END \1PRIVATE KEY-----/.exec(pem ?? '');
  if (!key) return [];
  const lines = key[2]
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length >= 8 && !line.includes(':'));
  return [...lines, lines.join('')];
}

/**
 * A variable's value and whether the agent handed it over as a secret. Secret variables reach the task
 * as SECRET_<NAME> and live in task-lib's vault; a public variable is also a plain environment variable,
 * which is how it shows (tl.getVariables would echo every variable's value into the debug log).
 */
function secretVariable(name: string): { value?: string; secret: boolean } {
  const value = tl.getVariable(name);
  const environmentName = name.replace(/[. ]/g, '_').toUpperCase();
  return { value, secret: value !== undefined && process.env[environmentName] === undefined };
}

/**
 * An input read without task-lib's echo: tl.getInput writes `<name>=<value>` to the debug log before the
 * task could mask the value (task.js getInput), and devOpsTokenVariable sometimes holds the token itself,
 * pasted in by mistake. The value comes from the same vault getInput reads (internal.js _loadData stores
 * every INPUT_ variable there); request.ts refuses a token-shaped value once readTask has masked it.
 */
function quietInput(name: string): string | undefined {
  return internal._vault.retrieveSecret(`INPUT_${internal._getVariableKey(name)}`) ?? undefined;
}

export const agent: Agent = {
  readTask() {
    const inputs: RawTask['inputs'] = {};
    for (const name of INPUT_NAMES) inputs[name] = name === 'devOpsTokenVariable' ? quietInput(name) : tl.getInput(name, false);
    const id = inputs.bootstrapConnection ?? '';
    const parameters: RawTask['bootstrap']['parameters'] = {};
    const data: RawTask['bootstrap']['data'] = {};
    if (id) {
      const auth = authorizationParameters(id);
      for (const key of ENDPOINT_PARAMETERS) parameters[key] = auth(key);
      for (const key of ENDPOINT_DATA) data[key] = tl.getEndpointDataParameter(id, key, true);
    }
    this.secret(parameters.serviceprincipalkey);
    for (const line of privateKeyLines(parameters.servicePrincipalCertificate)) this.secret(line);
    const accessToken = authorizationParameters('SYSTEMVSSCONNECTION')('AccessToken');
    this.secret(accessToken);
    let devOpsTokenVariable: RawTask['devOpsTokenVariable'];
    const variableName = inputs.devOpsTokenVariable?.trim() ?? '';
    if (isVariableName(variableName)) {
      if (inputs.devOpsAuth?.trim().toLowerCase() === 'personalaccesstoken') devOpsTokenVariable = secretVariable(variableName);
    } else {
      // Not a variable name: most likely the token itself, pasted into the input. Keep it out of the log.
      this.secret(variableName);
    }
    this.secret(devOpsTokenVariable?.value);
    const proxy = tl.getHttpProxyConfiguration();
    this.secret(proxy?.proxyPassword);
    return {
      inputs,
      bootstrap: {
        id,
        url: id ? tl.getEndpointUrl(id, true) : undefined,
        scheme: id ? tl.getEndpointAuthorizationScheme(id, true) : undefined,
        parameters,
        data,
      },
      accessToken,
      oidcRequestUri: tl.getVariable('System.OidcRequestUri'),
      devOpsTokenVariable,
      network: {
        proxyUrl: proxy?.proxyUrl,
        proxyUsername: proxy?.proxyUsername,
        proxyPassword: proxy?.proxyPassword,
        proxyBypassHosts: proxy?.proxyBypassHosts,
        caFile: tl.getHttpCertConfiguration()?.caFile,
      },
    };
  },
  secret(value) {
    if (value) tl.setSecret(value);
  },
  output(name, value) {
    tl.setVariable(name, value, false, true);
  },
  info(line) {
    console.log(oneLine(line));
  },
  debug(line) {
    tl.debug(oneLine(line));
  },
  warn(line) {
    tl.warning(oneLine(line));
  },
  succeed(message) {
    tl.setResult(tl.TaskResult.Succeeded, oneLine(message));
  },
  succeedWithIssues(message) {
    tl.setResult(tl.TaskResult.SucceededWithIssues, oneLine(message));
  },
  fail(message) {
    tl.setResult(tl.TaskResult.Failed, oneLine(message));
  },
};
