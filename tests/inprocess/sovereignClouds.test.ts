/**
 * The same scenario in the sovereign clouds: the emulator poses as Azure US Government and Azure China,
 * answering under their real host names (login.microsoftonline.us, management.usgovcloudapi.net, …) with
 * their token audiences. The agent reaches those names through its proxy, which routes them to the
 * emulator (no /etc/hosts); everything cloud-specific the task uses comes from the bootstrap connection.
 */
import { strict as assert } from 'node:assert';
import { CLOUDS, type CloudName } from '../support/emulator/clouds';
import { useConnection } from '../support/useConnection';
import { Emulator, runInProcess } from './harness';

const APP1_DEV = {
  bootstrapConnection: 'platform-bootstrap',
  connectionName: 'app1-dev',
  identityResourceGroup: 'rg-identities',
  resourceGroup: 'rg-app1-dev',
};

const SOVEREIGN: Array<{ cloud: CloudName; login: string; arm: string; audience: string }> = [
  {
    cloud: 'AzureUSGovernment',
    login: 'login.microsoftonline.us',
    arm: 'management.usgovcloudapi.net',
    audience: 'https://management.core.usgovcloudapi.net/',
  },
  { cloud: 'AzureChinaCloud', login: 'login.chinacloudapi.cn', arm: 'management.chinacloudapi.cn', audience: 'https://management.core.chinacloudapi.cn/' },
];

describe('sovereign clouds, whole runs in process', function () {
  this.timeout(60_000);

  for (const { cloud, login, arm, audience } of SOVEREIGN) {
    describe(cloud, () => {
      let emulator: Emulator;
      before(async () => {
        emulator = await Emulator.start({ cloud });
      });
      after(async () => {
        await emulator.stop();
      });

      it(`hands the task ${cloud}'s endpoint data: its host names and the ARM audience ${audience}`, () => {
        const id = emulator.world.bootstrap.connectionId;
        const data = JSON.parse(emulator.agentEnvironment()[`ENDPOINT_DATA_${id}`]) as Record<string, string>;
        assert.equal(data.environment, cloud);
        assert.equal(data.resourceManagerUrl, `https://${arm}/`);
        assert.equal(data.activeDirectoryAuthority, `https://${login}/`);
        assert.equal(data.activeDirectoryServiceEndpointResourceId, audience);
        assert.equal(data.microsoftGraphUrl, CLOUDS[cloud].graphUrl);
      });

      it("provisions a connection that carries the cloud's environment and ARM URL, and that a later pipeline can use", async () => {
        const run = await runInProcess(emulator, APP1_DEV);
        assert.equal(run.result, 'Succeeded', `task failed: ${run.message}\n${run.stdout}`);

        const connection = emulator.state().serviceConnections.find((c) => c.name === 'app1-dev');
        assert.ok(connection);
        assert.equal(connection.data.environment, cloud);
        assert.equal(connection.url, `https://${arm}/`);
        assert.equal(connection.authorization.parameters.workloadIdentityFederationIssuer, `https://${login}/${emulator.world.tenantId}/v2.0`);

        // Entra ID and ARM were reached under the cloud's names only, through the agent's proxy.
        const proxy = emulator.proxy!;
        const targets = new Set(proxy.tunnels.map((t) => t.target));
        assert.ok(
          proxy.tunnels.every((t) => t.status === 200),
          'every host the task asked for was routed',
        );
        assert.ok(targets.has(`${login}:443`) || targets.has('login.partner.microsoftonline.cn:443'), [...targets].join(', '));
        assert.ok(targets.has(`${arm}:443`), [...targets].join(', '));
        assert.ok(![...targets].some((t) => /microsoftonline\.com|management\.azure\.com|windows\.net/.test(t)), 'nothing went to the public cloud');
        const upstream = proxy.upstreamPorts();
        const azure = emulator.requests.filter((r) => r.service === 'login' || r.service === 'arm');
        assert.ok(azure.length > 0 && azure.every((r) => upstream.has(r.remotePort ?? -1)), 'every Entra ID and ARM request came through the proxy');
        assert.ok(
          emulator.requests.filter((r) => r.service === 'arm').every((r) => r.status !== 401),
          `ARM accepted every token (audience ${audience})`,
        );

        const used = await useConnection(emulator, connection.id);
        assert.equal(used.status, 200, `the connection reaches ARM in ${cloud}: ${JSON.stringify(used.body)}`);
      });

      it("does the same from the agent machine's managed identity, at a management group, with a second role", async () => {
        const mg = '/providers/Microsoft.Management/managementGroups/mg-platform';
        const vm = await Emulator.start({
          cloud,
          bootstrapScheme: 'ManagedServiceIdentity',
          bootstrapRoles: ['Contributor', `Role Based Access Control Administrator@${mg}`],
        });
        try {
          const run = await runInProcess(vm, {
            bootstrapConnection: 'platform-bootstrap',
            connectionName: 'platform-mg',
            identityResourceGroup: 'rg-identities',
            managementGroupId: 'mg-platform',
            roleDefinitionName: 'Reader',
            roleAssignments: 'Contributor@resourceGroups/rg-app1-dev',
          });
          assert.equal(run.result, 'Succeeded', `task failed: ${run.message}\n${run.stdout}`);
          const connection = vm.state().serviceConnections.find((c) => c.name === 'platform-mg');
          assert.equal(connection?.data.environment, cloud);
          assert.equal(connection?.data.scopeLevel, 'ManagementGroup');
          assert.equal(connection?.url, `https://${arm}/`);
          assert.ok(
            vm.requests.some((r) => r.service === 'imds' && r.path.includes(encodeURIComponent(audience))),
            `the metadata endpoint was asked for ${audience}`,
          );
          assert.equal(vm.state().roleAssignments.filter((a) => a.properties.principalId === run.outputs.principalId).length, 2);
          assert.equal((await useConnection(vm, connection.id)).status, 200);
        } finally {
          await vm.stop();
        }
      });
    });
  }
});
