/**
 * The pipeline task's raw values, read through the agent port: the inputs, the bootstrap connection, the
 * job's access token, the variable devOpsTokenVariable names, the agent's proxy and CA file. Every secret
 * among them is handed to the masker the moment it is read, before anything could print it. Pure over the
 * port: the real agent (src/taskLib.ts) and the in-process tests' fake run the same reading and masking.
 */
import type { AgentPort } from './agentPort';
import { INPUT_NAMES } from './inputNames';
import type { RawTask } from './rawTask';
import { isVariableName } from './requestAccess';

/** The bootstrap endpoint's authorization parameters and data the task reads. */
const ENDPOINT_PARAMETERS = ['tenantid', 'serviceprincipalid', 'authenticationType', 'serviceprincipalkey', 'servicePrincipalCertificate'] as const;
const ENDPOINT_DATA = [
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

/**
 * An endpoint's authorization parameters, read from the whole authorization object, by key in any case:
 * getEndpointAuthorizationParameter writes each value to the debug log before we could mask it,
 * getEndpointAuthorization only says whether the endpoint exists.
 */
function authorizationParameters(port: AgentPort, endpointId: string): (key: string) => string | undefined {
  let parameters: Record<string, string> = {};
  try {
    parameters = port.endpointAuthorization(endpointId) ?? {};
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
 * The task's raw values. devOpsTokenVariable is read without getInput's `name=value` debug echo (task.js
 * getInput): it sometimes holds the token itself, pasted in by mistake; such a value is masked here and
 * refused by its shape in src/requestAccess.ts.
 */
export function readTask(port: AgentPort): RawTask {
  const secret = (value: string | undefined): void => {
    if (value) port.setSecret(value);
  };
  const inputs: RawTask['inputs'] = {};
  for (const name of INPUT_NAMES) inputs[name] = name === 'devOpsTokenVariable' ? port.quietInput(name) : port.input(name);
  const id = inputs.bootstrapConnection ?? '';
  const parameters: RawTask['bootstrap']['parameters'] = {};
  const data: RawTask['bootstrap']['data'] = {};
  if (id) {
    const auth = authorizationParameters(port, id);
    for (const key of ENDPOINT_PARAMETERS) parameters[key] = auth(key);
    for (const key of ENDPOINT_DATA) data[key] = port.endpointData(id, key);
  }
  secret(parameters.serviceprincipalkey);
  for (const line of privateKeyLines(parameters.servicePrincipalCertificate)) secret(line);
  const accessToken = authorizationParameters(port, 'SYSTEMVSSCONNECTION')('AccessToken');
  secret(accessToken);
  let devOpsTokenVariable: RawTask['devOpsTokenVariable'];
  const variableName = inputs.devOpsTokenVariable?.trim() ?? '';
  if (isVariableName(variableName)) {
    if (inputs.devOpsAuth?.trim().toLowerCase() === 'personalaccesstoken') devOpsTokenVariable = port.variable(variableName);
  } else {
    // Not a variable name: most likely the token itself, pasted into the input. Keep it out of the log.
    secret(variableName);
  }
  secret(devOpsTokenVariable?.value);
  const proxy = port.proxy();
  secret(proxy?.proxyPassword);
  return {
    inputs,
    bootstrap: {
      id,
      url: id ? port.endpointUrl(id) : undefined,
      scheme: id ? port.endpointAuthorizationScheme(id) : undefined,
      parameters,
      data,
    },
    accessToken,
    oidcRequestUri: port.variable('System.OidcRequestUri').value,
    devOpsTokenVariable,
    network: {
      proxyUrl: proxy?.proxyUrl,
      proxyUsername: proxy?.proxyUsername,
      proxyPassword: proxy?.proxyPassword,
      proxyBypassHosts: proxy?.proxyBypassHosts,
      caFile: port.caFile(),
    },
  };
}
