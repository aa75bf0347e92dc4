/**
 * The recorded bodies in tests/fixtures/recordings/, and clients that answer them as the service sent them:
 * each goes, as recorded (casing, missing fields, byte-order marks), through the parser the task uses for
 * that call (the SDK's own deserializer where the task reads through an SDK, its HTTP client replaced by one
 * that answers the recording, then the task's converters), in the test file of the module that reads it.
 * tests/unit/repository/recordings.test.ts checks that every recording is read by one, by `recording('<name>')`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { createHttpHeaders, type HttpClient, type PipelineRequest } from '@azure/core-rest-pipeline';
import type { Clients } from '../../src/clients';
import { devopsRest } from '../../src/clients/devops';
import { systemClock } from '../../src/clock';

export const RECORDINGS = join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'recordings');

export interface Recording {
  status: number | string;
  headers?: Record<string, string>;
  body: unknown;
  [more: string]: unknown;
}

/** The recording tests/fixtures/recordings/<name>.json. */
export const recording = (name: string): Recording => JSON.parse(readFileSync(join(RECORDINGS, `${name}.json`), 'utf8')) as Recording;
export const object = (value: unknown): Record<string, unknown> => value as Record<string, unknown>;

/** An HTTP client that answers every request with the recording, as the service sent it. */
export function answering(recorded: Recording, status = Number(recorded.status)): HttpClient {
  return {
    sendRequest: async (request: PipelineRequest) => ({
      request,
      status,
      headers: createHttpHeaders({ 'content-type': 'application/json; charset=utf-8', ...recorded.headers }),
      bodyAsText: JSON.stringify(recorded.body),
    }),
  };
}

const credentialStub = { getToken: async () => ({ token: 'token', expiresOnTimestamp: Date.now() + 3_600_000 }) };

/** The managed identity SDK answering the recording. */
export const msiAnswering = (recorded: Recording, status?: number) =>
  new ManagedServiceIdentityClient(credentialStub, 'sub', { httpClient: answering(recorded, status), retryOptions: { maxRetries: 0 } });

/** The authorization SDK answering the recording. */
export const authorizationAnswering = (recorded: Recording) =>
  new AuthorizationManagementClient(credentialStub, 'sub', { httpClient: answering(recorded), retryOptions: { maxRetries: 0 } });

/** Azure DevOps REST over an HTTP client that answers the recording (as sent: `text`, when given). */
export function devopsAnswering(recorded: Recording, text = JSON.stringify(recorded.body), status = Number(recorded.status)) {
  const client = answering(recorded, status);
  return devopsRest(
    'https://dev.azure.com/contoso/',
    async () => 'Bearer job',
    async (request) => ({
      ...(await client.sendRequest(request)),
      bodyAsText: text,
    }),
  );
}

/** Clients whose plain ARM reads and Azure DevOps calls answer the recording. */
export function clientsAnswering(recorded: Recording, body: unknown = recorded.body): Clients {
  const authorization = authorizationAnswering(recorded);
  return {
    clock: systemClock,
    azure: async () => ({ armGet: async () => ({ status: Number(recorded.status), body: object(body) }), authorization }),
    devops: devopsAnswering(recorded, JSON.stringify(body)),
  } as unknown as Clients;
}
