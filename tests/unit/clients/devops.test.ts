import { strict as assert } from 'node:assert';
import { createHttpHeaders, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { allPages, areaLocation, devops, DevOpsHttpError, devopsRest } from '../../../src/clients/devops';
import type { Send } from '../../../src/clients/http';
import type { Clock } from '../../../src/clock';
import { InputError, type TaskError } from '../../../src/errors';
import { toTaskError } from '../../../src/sdkErrors';
import { devopsAnswering, recording } from '../recorded';

const ORG = 'https://dev.azure.com/contoso/';

interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

/** A Send that answers each request in turn, and the requests it was given. */
function answering(...answers: Answer[]): Send & { sent: PipelineRequest[] } {
  const sent: PipelineRequest[] = [];
  const send = async (request: PipelineRequest): Promise<PipelineResponse> => {
    sent.push(request);
    const answer = answers.shift() ?? { status: 500, body: '{"message":"no more answers"}' };
    return {
      request,
      status: answer.status,
      headers: createHttpHeaders({ 'content-type': 'application/json; charset=utf-8', ...answer.headers }),
      bodyAsText: answer.body,
    };
  };
  return Object.assign(send, { sent });
}

function virtualClock(): Clock {
  let now = 0;
  return { now: () => now, sleep: async (ms) => void (now += ms) };
}

describe('devopsRest', () => {
  it('sends a path relative to the organization with its api-version, query and body, and the headers every call carries', async () => {
    const send = answering({ status: 200, body: '{"id":7}' });
    const rest = devopsRest('https://dev.azure.com/contoso', async () => 'Bearer job', send);
    const answer = await rest.request({
      method: 'PATCH',
      path: 'p1/_apis/pipelines/checks/configurations/7',
      apiVersion: '7.1-preview.1',
      query: { resourceType: 'endpoint', resourceId: undefined },
      body: { id: 7 },
    });
    assert.deepEqual(answer, { id: 7 });
    const [request] = send.sent;
    assert.equal(request.method, 'PATCH');
    assert.equal(request.url, 'https://dev.azure.com/contoso/p1/_apis/pipelines/checks/configurations/7?resourceType=endpoint&api-version=7.1-preview.1');
    assert.equal(request.body, '{"id":7}');
    assert.equal(request.headers.get('authorization'), 'Bearer job');
    assert.equal(request.headers.get('x-tfs-fedauthredirect'), 'Suppress');
    assert.equal(request.headers.get('content-type'), 'application/json');
  });

  it('answers null for an empty body, and for a 404 only where the caller asked', async () => {
    const notFound = { status: 404, body: '{"message":"TF200016: The following project does not exist","typeKey":"ProjectDoesNotExistWithNameException"}' };
    const rest = devopsRest(ORG, async () => 'Bearer job', answering({ status: 204 }, notFound, notFound));
    assert.equal(await rest.request({ method: 'PATCH', path: '_apis/serviceendpoint/endpoints/c1', apiVersion: '7.1', body: [] }), null);
    assert.equal(await rest.request({ path: '_apis/projects/gone', apiVersion: '7.1', nullWhenNotFound: true }), null);
    await assert.rejects(rest.request({ path: '_apis/projects/gone', apiVersion: '7.1' }), { statusCode: 404 });
  });

  it('fails for an organization that is not there, even where a 404 means "not found"', async () => {
    const body = '{"message":"VS800075: The organization could not be found.","typeKey":"OrganizationNotFoundException"}';
    const rest = devopsRest(ORG, async () => 'Bearer job', answering({ status: 404, body }));
    await assert.rejects(rest.request({ path: '_apis/projects/p1', apiVersion: '7.1', nullWhenNotFound: true }), {
      statusCode: 404,
      result: { message: 'VS800075: The organization could not be found.', typeKey: 'OrganizationNotFoundException' },
    });
  });

  it('never reads a page that is not JSON as "no result"', async () => {
    const rest = devopsRest(
      ORG,
      async () => 'Bearer job',
      answering({ status: 203, body: '<html><title>Sign in</title></html>', headers: { 'content-type': 'text/html' } }),
    );
    await assert.rejects(rest.request({ path: '_apis/projects/p1', apiVersion: '7.1', nullWhenNotFound: true }), { name: 'UnreadableAnswer' });
  });

  it('reads an error whose JSON starts with a byte-order mark, keeping its message, typeKey and Retry-After', async () => {
    const body = '\uFEFF{"message":"TF24668: The following team project collection is stopped","typeKey":"VssServiceException"}';
    const rest = devopsRest(ORG, async () => 'Bearer job', answering({ status: 503, body, headers: { 'retry-after': '30' } }));
    const error = (await rest.request({ path: '_apis/projects/p1', apiVersion: '7.1' }).catch((e: unknown) => e)) as {
      result: unknown;
      response: { headers: { get(name: string): string | undefined } };
    };
    assert.deepEqual(error.result, { message: 'TF24668: The following team project collection is stopped', typeKey: 'VssServiceException' });
    assert.equal(error.response.headers.get('retry-after'), '30');
  });

  it('keeps the page of a refusal that is not JSON as its message, for sdkErrors to read its words', async () => {
    const page = '<html><head><title>Sign in to your account</title></head><body>Sign in</body></html>';
    const rest = devopsRest(ORG, async () => 'Bearer job', answering({ status: 401, body: page, headers: { 'content-type': 'text/html' } }));
    const error = await rest.request({ path: '_apis/projects/p1', apiVersion: '7.1' }).catch((e: unknown) => e);
    assert.equal(toTaskError('devops', 'read the project', error).message, 'Sign in to your account: Sign in');
  });

  it("sends an area's requests to the host the area names, asked once", async () => {
    const send = answering(
      { status: 200, body: '{"id":"8a3d","locationUrl":"https://vssps.dev.azure.com/contoso/"}' },
      { status: 200, body: '{"count":0,"value":[]}' },
      { status: 200, body: '{"count":0,"value":[]}' },
    );
    const rest = devopsRest(ORG, async () => 'Bearer job', send);
    const search = () => rest.request({ path: '_apis/identities', area: '8a3d', apiVersion: '7.1-preview.1', query: { filterValue: 'alice' } });
    await search();
    await search();
    assert.deepEqual(
      send.sent.map((r) => r.url),
      [
        'https://dev.azure.com/contoso/_apis/resourceAreas/8a3d?api-version=7.1',
        'https://vssps.dev.azure.com/contoso/_apis/identities?filterValue=alice&api-version=7.1-preview.1',
        'https://vssps.dev.azure.com/contoso/_apis/identities?filterValue=alice&api-version=7.1-preview.1',
      ],
    );
  });

  it('asks for the host of an area again after a failed lookup', async () => {
    const send = answering(
      { status: 503, body: '{"message":"busy"}' },
      { status: 200, body: '{"count":0,"value":null}' },
      { status: 200, body: '{"value":[]}' },
    );
    const rest = devopsRest(ORG, async () => 'Bearer job', send);
    await assert.rejects(rest.request({ path: '_apis/identities', area: '8a3d', apiVersion: '7.1' }), { statusCode: 503 });
    await rest.request({ path: '_apis/identities', area: '8a3d', apiVersion: '7.1' });
    assert.equal(send.sent[2].url, 'https://dev.azure.com/contoso/_apis/identities?api-version=7.1', 'no locationUrl: the organization serves the area');
  });

  it('lists every page, sending back the continuation token each page carries', async () => {
    const send = answering(
      { status: 200, body: '{"count":2,"value":[1,2]}', headers: { 'x-ms-continuationtoken': 'next 1' } },
      { status: 200, body: '{"count":1,"value":[3]}' },
    );
    const rest = devopsRest(ORG, async () => 'Bearer job', send);
    assert.deepEqual(await rest.list({ path: 'p1/_apis/build/definitions', apiVersion: '7.1', query: { name: 'app' } }), { count: 3, value: [1, 2, 3] });
    assert.equal(send.sent[1].url, 'https://dev.azure.com/contoso/p1/_apis/build/definitions?name=app&continuationToken=next+1&api-version=7.1');
  });

  it('paced: at most the limit in flight, and nothing starts until the X-RateLimit-Delay Azure DevOps answered has passed', async () => {
    let now = 0;
    const clock: Clock = { now: () => now, sleep: async (ms) => void (now += ms) };
    let inFlight = 0;
    let peak = 0;
    const started: number[] = [];
    const send: Send = async (request) => {
      started.push(now);
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      const headers = createHttpHeaders({ 'content-type': 'application/json', ...(started.length === 1 ? { 'x-ratelimit-delay': '1.5' } : {}) });
      return { request, status: 200, headers, bodyAsText: '{}' };
    };
    const paced = devopsRest(ORG, async () => 'Bearer job', send).paced(2, clock);
    await paced.request({ path: '_apis/first', apiVersion: '7.1' });
    await Promise.all([1, 2, 3, 4].map((n) => paced.request({ path: `_apis/${n}`, apiVersion: '7.1' })));
    assert.equal(peak, 2);
    assert.deepEqual(paced.stats, { peak: 2, sent: 5 });
    assert.ok(
      started.slice(1).every((at) => at >= 1500),
      `started at ${started.join(', ')}`,
    );
  });
});

describe('allPages', () => {
  it('stops at the first page without a token, and skips a page without a value', async () => {
    const tokens: (string | undefined)[] = [];
    const pages = [{ body: null, continuationToken: 'a' }, { body: { value: ['x'] } }];
    const all = await allPages<string>(async (token) => {
      tokens.push(token);
      return pages.shift()!;
    });
    assert.deepEqual(all, { count: 1, value: ['x'] });
    assert.deepEqual(tokens, [undefined, 'a']);
  });
});

describe('areaLocation', () => {
  it('reads identities on the host the resource area names, else on the organization', () => {
    assert.equal(areaLocation({ locationUrl: 'https://vssps.dev.azure.com/contoso/' }, ORG), 'https://vssps.dev.azure.com/contoso/');
    assert.equal(areaLocation({ count: 0, value: null }, ORG), ORG);
    assert.equal(areaLocation({ locationUrl: 'http://vssps.dev.azure.com/contoso/' }, ORG), ORG, 'https only');
  });
});

describe('devops', () => {
  const clients = { clock: virtualClock(), devops: { organizationUrl: 'https://dev.azure.com/fabrikam/' } };

  it('retries a throttled call as long as Retry-After asks', async () => {
    let calls = 0;
    const started = clients.clock.now();
    const answer = await devops(clients, 'read the project', async () => {
      if (calls++ === 0) throw new DevOpsHttpError(429, { message: 'slow down' }, createHttpHeaders({ 'retry-after': '3' }));
      return 'ok';
    });
    assert.equal(answer, 'ok');
    assert.equal(calls, 2);
    assert.equal(clients.clock.now() - started, 3000);
  });

  it('names organizationUrl for an organization that is not there, or a host that is unknown', async () => {
    const missing = new DevOpsHttpError(404, { message: 'VS800075', typeKey: 'OrganizationNotFoundException' }, createHttpHeaders());
    await assert.rejects(
      devops(clients, 'read the project', () => Promise.reject(missing)),
      (error: TaskError) =>
        error instanceof InputError &&
        /^Input 'organizationUrl' 'https:\/\/dev\.azure\.com\/fabrikam\/' is not an Azure DevOps organization/.test(error.message),
    );
    const unknownHost = Object.assign(new Error('getaddrinfo ENOTFOUND dev.azure.com'), { code: 'ENOTFOUND' });
    await assert.rejects(
      devops(clients, 'read the project', () => Promise.reject(unknownHost)),
      (error: TaskError) =>
        error instanceof InputError && /the host 'dev\.azure\.com' could not be found \(getaddrinfo ENOTFOUND dev\.azure\.com\)/.test(error.message),
    );
  });
});

describe('a recorded Azure DevOps error (tests/fixtures/recordings/)', () => {
  it('ado-error-503-collection-stopped-bom', async () => {
    const recorded = recording('ado-error-503-collection-stopped-bom');
    // As sent: the byte-order mark, then the JSON; the recording's headers plus a Retry-After.
    const text = `\uFEFF${JSON.stringify(recorded.body)}`;
    assert.ok(String(recorded.body_raw_prefix).startsWith('\uFEFF'));
    const rest = devopsAnswering({ ...recorded, headers: { ...recorded.headers, 'retry-after': '30' } }, text, 503);
    const error = await rest.request({ path: '_apis/projects/p', apiVersion: '7.1' }).then(
      () => assert.fail('a 503 is an error'),
      (e: unknown) => e,
    );
    const failure = toTaskError('devops', 'read the project', error);
    assert.match(failure.message, /^TF24668: The following team project collection is stopped: AzureDevOpsCliTest/);
    assert.equal(failure.code, 'VssServiceException');
    assert.equal(failure.retryAfterMs, 30_000);
  });
});
