/**
 * The only module that touches the agent (azure-pipelines-task-lib): it reads inputs, endpoints and
 * variables, masks secrets, writes outputs and log lines, and sets the result.
 */
import * as path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import { oneLine } from './errors';
import type { MessageKey } from './messages';
import type { RawTask } from './request';

const INPUTS = [
  'bootstrapConnection',
  'connectionName',
  'identityType',
  'subscriptionId',
  'subscriptionName',
  'resourceGroup',
  'roleDefinitionName',
  'identityResourceGroup',
  'identityName',
  'identityLocation',
  'applicationName',
  'organizationUrl',
  'project',
  'connectionDescription',
  'existingConnection',
  'shareWithProjects',
  'authorizeAllPipelines',
  'authorizePipelines',
] as const;

const ENDPOINT_PARAMETERS = ['tenantid', 'serviceprincipalid', 'authenticationType', 'serviceprincipalkey'] as const;
const ENDPOINT_DATA = [
  'environment',
  'subscriptionId',
  'subscriptionName',
  'resourceManagerUrl',
  'activeDirectoryAuthority',
  'environmentAuthorityUrl',
  'microsoftGraphUrl',
  'activeDirectoryServiceEndpointResourceId',
] as const;

export interface Agent {
  readTask(): RawTask;
  /** Registers a value with the agent's masker; call it the moment a secret exists. */
  secret(value: string | undefined): void;
  /** A line of task.json `messages`, formatted by tl.loc with `args` for its `%s` placeholders. */
  message(key: MessageKey, ...args: string[]): string;
  output(name: string, value: string): void;
  info(line: string): void;
  debug(line: string): void;
  warn(line: string): void;
  succeed(message: string): void;
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

let resourcesLoaded = false;

export const agent: Agent = {
  readTask() {
    const inputs: RawTask['inputs'] = {};
    for (const name of INPUTS) inputs[name] = tl.getInput(name, false);
    const id = inputs.bootstrapConnection ?? '';
    const parameters: RawTask['bootstrap']['parameters'] = {};
    const data: RawTask['bootstrap']['data'] = {};
    if (id) {
      const auth = authorizationParameters(id);
      for (const key of ENDPOINT_PARAMETERS) parameters[key] = auth(key);
      for (const key of ENDPOINT_DATA) data[key] = tl.getEndpointDataParameter(id, key, true);
    }
    this.secret(parameters.serviceprincipalkey);
    const accessToken = authorizationParameters('SYSTEMVSSCONNECTION')('AccessToken');
    this.secret(accessToken);
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
    };
  },
  secret(value) {
    if (value) tl.setSecret(value);
  },
  message(key, ...args) {
    if (!resourcesLoaded) {
      // The bundle copies task.json beside index.js; task-lib reads its `messages` (and any
      // Strings/resources.resjson/<culture>) from there. Loaded on first use, once.
      tl.setResourcePath(path.join(__dirname, 'task.json'), true);
      resourcesLoaded = true;
    }
    return tl.loc(key, ...args);
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
  fail(message) {
    tl.setResult(tl.TaskResult.Failed, oneLine(message));
  },
};
