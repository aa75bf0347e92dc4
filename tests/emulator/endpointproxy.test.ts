/**
 * The emulated service endpoint proxy (devops-endpointproxy.ts), asked directly as the web UI asks it: the
 * bootstrap connection (a workload identity connection whose federated credential exists) verifies; the
 * answer is HTTP 200 whatever the outcome, statusCode a name or, with enumsAsNumbers, a number; an identity
 * without the Use permission is refused.
 */
import { strict as assert } from 'node:assert';
import { httpsRequest } from '../support/emulator/client';
import { Emulator } from '../support/emulator/index';

describe('emulator: the service endpoint proxy (TestConnection)', function () {
  this.timeout(30_000);
  let emu: Emulator;
  before(async () => {
    emu = await Emulator.start();
  });
  after(async () => {
    await emu.stop();
  });

  const ask = (accept = 'application/json;api-version=7.1', body = '{"dataSourceDetails":{"dataSourceName":"TestConnection"}}') =>
    httpsRequest({
      method: 'POST',
      url: `${emu.world.organization.url}${emu.world.project.id}/_apis/serviceendpoint/endpointproxy?endpointId=${emu.world.bootstrap.connectionId}`,
      ca: emu.caPem,
      headers: { authorization: `Bearer ${emu.world.jobAccessToken}`, 'content-type': 'application/json', accept: accept },
      body,
    });

  it('verifies a connection whose credential and role are in place, answering statusCode "ok"', async () => {
    const answer = await ask();
    assert.equal(answer.status, 200);
    const body = answer.body as { statusCode: unknown; errorMessage: unknown; result: unknown };
    assert.equal(body.statusCode, 'ok', JSON.stringify(body));
    assert.equal(body.errorMessage, null);
    assert.ok(Array.isArray(body.result));
  });

  it('answers the status as a number when the Accept header asks enumsAsNumbers=true', async () => {
    const answer = await ask('application/json;api-version=7.1;enumsAsNumbers=true');
    assert.equal((answer.body as { statusCode: unknown }).statusCode, 200);
  });

  it('refuses a request without a data source, and an identity that may not use the connection', async () => {
    assert.equal((await ask(undefined, '{}')).status, 400);
    emu.configure({ buildServiceRole: 'Reader' });
    try {
      const refused = await ask();
      assert.equal(refused.status, 403);
      assert.match(JSON.stringify(refused.body), /AccessCheckException/);
    } finally {
      emu.configure({ buildServiceRole: 'Creator' });
    }
  });
});
