/**
 * Reading the task's raw values over the agent port (src/taskInputs.ts): what is read from where, and that
 * every secret among them reaches the masker before readTask returns, and nothing else is written. The
 * port here is a few maps and a record of the calls; whole runs over the in-process fake agent are in
 * tests/inprocess.
 */
import { strict as assert } from 'node:assert';
import { privateKeyLines, readTask } from '../../src/taskInputs';
import { recordingPort as portOf } from './recordingPort';

const ENDPOINT = 'e1e1e1e1-0000-0000-0000-000000000001';
const PAT = 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst';
const KEY_LINES = ['MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7', 'VJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDu'];
const PEM = `-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n${KEY_LINES.join('\n')}\n-----END PRIVATE KEY-----\n`;

describe('readTask: the task over the agent port', () => {
  it('reads the inputs, the bootstrap endpoint, the job token, the PAT variable and the network, and masks every secret among them', () => {
    const port = portOf({
      inputs: { bootstrapConnection: ENDPOINT, connectionName: 'app1-dev', devOpsAuth: 'personalAccessToken', devOpsTokenVariable: 'ADO_PAT' },
      authorizations: {
        [ENDPOINT]: { TenantId: 't', ServicePrincipalId: 'c', authenticationType: 'spnCertificate', servicePrincipalCertificate: PEM },
        SYSTEMVSSCONNECTION: { AccessToken: 'job-token' },
      },
      schemes: { [ENDPOINT]: 'ServicePrincipal' },
      variables: { ADO_PAT: { value: PAT, secret: true }, 'System.OidcRequestUri': { value: 'https://oidc.example/', secret: false } },
      proxy: { proxyUrl: 'http://proxy:8080', proxyUsername: 'u', proxyPassword: 'proxy-password', proxyBypassHosts: ['x'] },
    });
    const raw = readTask(port);
    assert.equal(raw.inputs.connectionName, 'app1-dev');
    assert.deepEqual(raw.bootstrap, {
      id: ENDPOINT,
      url: 'https://management.azure.com/',
      scheme: 'ServicePrincipal',
      parameters: {
        tenantid: 't',
        serviceprincipalid: 'c',
        authenticationType: 'spnCertificate',
        serviceprincipalkey: undefined,
        servicePrincipalCertificate: PEM,
      },
      data: {
        environment: 'AzureCloud',
        subscriptionId: undefined,
        subscriptionName: undefined,
        resourceManagerUrl: undefined,
        activeDirectoryAuthority: undefined,
        environmentAuthorityUrl: undefined,
        microsoftGraphUrl: undefined,
        activeDirectoryServiceEndpointResourceId: undefined,
        msiclientId: undefined,
      },
    });
    assert.equal(raw.accessToken, 'job-token', 'the parameter found in any case');
    assert.equal(raw.oidcRequestUri, 'https://oidc.example/');
    assert.deepEqual(raw.devOpsTokenVariable, { value: PAT, secret: true });
    assert.deepEqual(raw.network, {
      proxyUrl: 'http://proxy:8080',
      proxyUsername: 'u',
      proxyPassword: 'proxy-password',
      proxyBypassHosts: ['x'],
      caFile: '/etc/ca.pem',
    });
    assert.deepEqual(port.secrets, [...KEY_LINES, KEY_LINES.join(''), 'job-token', PAT, 'proxy-password']);
    assert.ok(port.calls.includes('quietInput devOpsTokenVariable'), 'devOpsTokenVariable read without the debug echo');
    assert.ok(!port.calls.includes('input devOpsTokenVariable'));
    assert.deepEqual(
      port.calls.filter((call) => /^(setOutput|log|debug|warning|setResult) /.test(call)),
      [],
      'reading writes nothing but secrets',
    );
  });

  it('masks a token pasted into devOpsTokenVariable, and reads no variable by that name', () => {
    const port = portOf({ inputs: { devOpsAuth: 'personalAccessToken', devOpsTokenVariable: ` ${PAT} ` } });
    const raw = readTask(port);
    assert.deepEqual(port.secrets, [PAT]);
    assert.equal(raw.devOpsTokenVariable, undefined);
    assert.ok(!port.calls.some((call) => call.startsWith(`variable ${PAT}`)));
  });

  it('reads the PAT variable only with devOpsAuth personalAccessToken', () => {
    const port = portOf({ inputs: { devOpsAuth: 'jobAccessToken', devOpsTokenVariable: 'ADO_PAT' }, variables: { ADO_PAT: { value: PAT, secret: true } } });
    assert.equal(readTask(port).devOpsTokenVariable, undefined);
    assert.ok(!port.calls.includes('variable ADO_PAT'));
    assert.deepEqual(port.secrets, []);
  });

  it('reads a malformed authorization as an empty one, and no endpoint when no bootstrap connection is named', () => {
    const malformed = portOf({ inputs: { bootstrapConnection: ENDPOINT }, authorizations: { [ENDPOINT]: '{not json', SYSTEMVSSCONNECTION: '{' } });
    const raw = readTask(malformed);
    assert.deepEqual(Object.values(raw.bootstrap.parameters), [undefined, undefined, undefined, undefined, undefined]);
    assert.equal(raw.accessToken, undefined);
    const none = portOf({});
    assert.deepEqual(readTask(none).bootstrap, { id: '', url: undefined, scheme: undefined, parameters: {}, data: {} });
    assert.ok(!none.calls.some((call) => /^endpoint\w* $/.test(call)), 'no endpoint with an empty id is read');
    assert.deepEqual(readTask(none).network?.proxyUrl, undefined);
  });
});

describe('privateKeyLines', () => {
  it("gives a PEM private key's body line by line and whole, and nothing of the certificate", () => {
    assert.deepEqual(privateKeyLines(PEM), [...KEY_LINES, KEY_LINES.join('')]);
    const rsa = '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nabcdefghijkl\nshort\n-----END RSA PRIVATE KEY-----';
    assert.deepEqual(privateKeyLines(rsa), ['abcdefghijkl', 'abcdefghijkl'], 'header lines and short lines are no secret of their own');
    assert.deepEqual(privateKeyLines('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'), []);
    assert.deepEqual(privateKeyLines(undefined), []);
  });
});
