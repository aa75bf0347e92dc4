import { strict as assert } from 'node:assert';
import { systemClock } from '../../../src/clock';
import { type CommandLine, parseCommandLine, UsageError } from '../../../src/commandLine/flags';
import { environmentSignIn, rawTask } from '../../../src/commandLine/taskFromMachine';
import { parseRequest } from '../../../src/request';

describe("the command line's RawTask", () => {
  const TENANT = '00000000-0000-0000-0000-000000000002';
  const SUBSCRIPTION = '00000000-0000-0000-0000-000000000001';
  const commandLine = (...flags: string[]): CommandLine => {
    const parsed = parseCommandLine(['--connection-name', 'c', '--organization-url', 'https://dev.azure.com/contoso', '--project', 'p', ...flags]);
    assert.equal(parsed.kind, 'run');
    return (parsed as { commandLine: CommandLine }).commandLine;
  };

  it('is made from the flags and the environment, without the Azure CLI when the tenant and subscription are given', async () => {
    const raw = await rawTask(
      commandLine(
        '--identity-resource-group',
        'rg',
        '--tenant-id',
        TENANT,
        '--subscription-id',
        SUBSCRIPTION,
        '--cloud',
        'AzureUSGovernment',
        '--devops-auth',
        'personalAccessToken',
      ),
      { AZURE_DEVOPS_EXT_PAT: 'pat-value', HTTPS_PROXY: 'http://proxy.local:3128' },
      systemClock,
    );
    assert.equal(raw.bootstrap.scheme, 'DefaultAzureCredential');
    assert.deepEqual(raw.bootstrap.parameters, { tenantid: TENANT });
    assert.equal(raw.bootstrap.data.environment, 'AzureUSGovernment');
    assert.equal(raw.inputs.subscriptionId, SUBSCRIPTION);
    assert.deepEqual(raw.devOpsTokenVariable, { value: 'pat-value', secret: true }, 'an environment variable is as secret as a secret variable');
    assert.equal(raw.network?.proxyUrl, 'http://proxy.local:3128');
    const request = parseRequest(raw);
    assert.deepEqual(request.bootstrap.auth, { scheme: 'DefaultAzureCredential', tenantId: TENANT });
    assert.equal(request.bootstrap.cloud.authorityHost, 'https://login.microsoftonline.us/');
    assert.deepEqual(request.devopsAuth, { kind: 'personalAccessToken', variable: 'AZURE_DEVOPS_EXT_PAT', token: 'pat-value' });
  });

  it('finds a sign-in in the environment only with a client id and its secret, certificate or federated token file (issue 23)', () => {
    assert.equal(environmentSignIn({}), false);
    assert.equal(environmentSignIn({ AZURE_CLIENT_ID: 'c' }), false);
    assert.equal(environmentSignIn({ AZURE_CLIENT_ID: 'c', AZURE_CLIENT_SECRET: 's' }), true);
    assert.equal(environmentSignIn({ AZURE_CLIENT_ID: 'c', AZURE_FEDERATED_TOKEN_FILE: '/t' }), true);
    assert.equal(environmentSignIn({ AZURE_CLIENT_ID: 'c', AZURE_CLIENT_CERTIFICATE_PATH: '/c.pem' }), true);
  });

  it('refuses, as usage errors, a token variable that is not set and a resource manager URL that is not https', async () => {
    const given = ['--tenant-id', TENANT, '--subscription-id', SUBSCRIPTION];
    await assert.rejects(
      rawTask(commandLine(...given, '--devops-auth', 'personalAccessToken'), {}, systemClock),
      (error: unknown) => error instanceof UsageError && /names the environment variable 'AZURE_DEVOPS_EXT_PAT', which is not set/.test(error.message),
    );
    await assert.rejects(
      rawTask(commandLine(...given, '--resource-manager-url', 'http://management.local/'), {}, systemClock),
      (error: unknown) => error instanceof UsageError && /is not an https URL/.test(error.message),
    );
  });
});
