import { strict as assert } from 'node:assert';
import { UsageError } from '../../../src/commandLine/flags';
import { networkFromEnvironment } from '../../../src/commandLine/networkFromEnvironment';

describe("the command line's network from the environment", () => {
  it('takes the proxy from HTTPS_PROXY and NO_PROXY as bypass patterns', () => {
    const network = networkFromEnvironment({ HTTPS_PROXY: 'http://user:p%40ss@proxy.local:3128', NO_PROXY: 'localhost,.corp.example' });
    assert.equal(network?.proxyUrl, 'http://proxy.local:3128');
    assert.equal(network?.proxyUsername, 'user');
    assert.equal(network?.proxyPassword, 'p@ss');
    const bypass = (network?.proxyBypassHosts ?? []).map((p) => new RegExp(p, 'i'));
    assert.ok(bypass.some((p) => p.test('https://dev.corp.example/contoso/')));
    assert.ok(bypass.some((p) => p.test('https://localhost:8443/')));
    assert.ok(!bypass.some((p) => p.test('https://management.azure.com/')));
    assert.deepEqual(networkFromEnvironment({}), {});
  });

  it('refuses a proxy variable that is not a proxy URL at once, naming the variable and hiding its credentials (issue 24, class 10)', () => {
    const refuses = (env: NodeJS.ProcessEnv, message: string) =>
      assert.throws(
        () => networkFromEnvironment(env),
        (e: Error) => e instanceof UsageError && e.message === message,
      );
    refuses(
      { HTTPS_PROXY: 'proxy.local:3128' },
      "HTTPS_PROXY 'proxy.local:3128' is not a proxy URL; write it as http://host:port (with credentials http://user:password@host:port), or unset it.",
    );
    refuses(
      { http_proxy: 'user:secret@proxy.local:3128' },
      "http_proxy '***@proxy.local:3128' is not a proxy URL; write it as http://host:port (with credentials http://user:password@host:port), or unset it.",
    );
    assert.throws(() => networkFromEnvironment({ HTTPS_PROXY: 'socks5://u:pw@proxy.local:1080' }), /HTTPS_PROXY 'socks5:\/\/\*\*\*@proxy\.local:1080'/);
    assert.throws(() => networkFromEnvironment({ HTTPS_PROXY: 'http://' }), /HTTPS_PROXY 'http:\/\/' is not a proxy URL/);
  });
});
