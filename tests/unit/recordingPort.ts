/** An agent port over a few maps, for unit tests of what is built over the port (src/taskInputs.ts, src/agent.ts). */
import type { AgentPort } from '../../src/agentPort';

export interface PortState {
  inputs?: Record<string, string>;
  variables?: Record<string, { value?: string; secret: boolean }>;
  /** An endpoint's authorization parameters; a string is an authorization that is not JSON. */
  authorizations?: Record<string, Record<string, string> | string>;
  schemes?: Record<string, string>;
  proxy?: ReturnType<AgentPort['proxy']>;
}

/** A port over a few maps, recording every call in order. */
export function recordingPort(state: PortState): AgentPort & { calls: string[]; secrets: string[] } {
  const calls: string[] = [];
  const secrets: string[] = [];
  const port = {
    calls,
    secrets,
    input: (name: string) => (calls.push(`input ${name}`), state.inputs?.[name]),
    quietInput: (name: string) => (calls.push(`quietInput ${name}`), state.inputs?.[name]),
    variable: (name: string) => (calls.push(`variable ${name}`), state.variables?.[name] ?? { secret: false }),
    endpointUrl: (id: string) => (calls.push(`endpointUrl ${id}`), 'https://management.azure.com/'),
    endpointAuthorization: (id: string) => {
      calls.push(`endpointAuthorization ${id}`);
      const authorization = state.authorizations?.[id];
      if (typeof authorization === 'string') throw new Error(`Invalid endpoint auth: ${authorization}`);
      return authorization;
    },
    endpointAuthorizationScheme: (id: string) => (calls.push(`endpointAuthorizationScheme ${id}`), state.schemes?.[id]),
    endpointData: (id: string, key: string) => (calls.push(`endpointData ${id}`), key === 'environment' ? 'AzureCloud' : undefined),
    proxy: () => (calls.push('proxy'), state.proxy),
    caFile: () => '/etc/ca.pem',
    setSecret: (value: string) => {
      calls.push(`setSecret ${value}`);
      secrets.push(value);
    },
    setOutput: (name: string, value: string) => void calls.push(`setOutput ${name}=${value}`),
    log: (line: string) => void calls.push(`log ${line}`),
    debug: (line: string) => void calls.push(`debug ${line}`),
    warning: (line: string) => void calls.push(`warning ${line}`),
    setProgress: (percent: number, operation: string) => void calls.push(`setProgress ${percent} ${operation}`),
    attachSummary: (name: string, file: string, markdown: string) => void calls.push(`attachSummary ${name} ${file} ${markdown}`),
    setResult: (result: string, message: string) => void calls.push(`setResult ${result} ${message}`),
  };
  return port;
}
