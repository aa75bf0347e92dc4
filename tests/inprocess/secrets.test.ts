/**
 * Secrets: with system.debug on, nothing the task prints holds a credential the emulator issued or
 * received (client secrets, job access tokens, pipeline OIDC tokens, client assertions, access tokens),
 * and no service text can start a logging command. Every end-to-end run of the convergence suites goes
 * through the same scan (scenarios.run); this file adds the runs that handle the most secrets, and
 * prints the totals at the end of the suite.
 */
import { strict as assert } from 'node:assert';
import { assertNoSecretPrinted, failed, IDENTITY_SCENARIOS, MANAGED_IDENTITY, secretScan, succeeded } from '../support/scenarios';
import { run } from './runs';
import { Emulator } from './harness';

const inputs = MANAGED_IDENTITY.inputs;

/** The audience of a JWT, '' for anything else. */
function audience(token: string): string {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { aud?: unknown };
    return typeof payload.aud === 'string' ? payload.aud : '';
  } catch {
    return '';
  }
}

describe('secrets, with system.debug on', function () {
  this.timeout(60_000);

  for (const scenario of IDENTITY_SCENARIOS) {
    for (const scheme of ['WorkloadIdentityFederation', 'ServicePrincipal', 'ServicePrincipalCertificate', 'ManagedServiceIdentity'] as const) {
      // The emulator grants Microsoft Graph permissions to the bootstrap application only, not to the agent
      // machine's managed identity: that pair would stop at Authorization_RequestDenied.
      if (scenario.identityType === 'appRegistration' && scheme === 'ManagedServiceIdentity') continue;
      it(`prints none of the credentials a ${scenario.identityType} run with a ${scheme} bootstrap handles: first run, re-run, dry run`, async () => {
        const emulator = await Emulator.start({ bootstrapScheme: scheme });
        const inputs = scenario.inputs;
        try {
          for (const request of [inputs, inputs, { ...inputs, dryRun: 'true' }]) succeeded(await run(emulator, request));
          const secrets = emulator.secrets();
          assert.ok(secrets.includes(emulator.world.jobAccessToken), 'the job token is in the ledger');
          assert.ok(secrets.includes(emulator.world.bootstrap.clientSecret), 'the client secret is in the ledger');
          assert.ok(secrets.length >= 5, `tokens issued and received are in the ledger (${secrets.length})`);
          if (scenario.identityType === 'appRegistration') {
            const graph = [emulator.urls.graph, emulator.cloud.graphUrl].map((url) => url.replace(/\/+$/, ''));
            assert.ok(
              secrets.some((secret) => graph.includes(audience(secret).replace(/\/+$/, ''))),
              'the Microsoft Graph token is in the ledger',
            );
          }
        } finally {
          await emulator.stop();
        }
      });
    }
  }

  it('prints no credential when Entra ID refuses the bootstrap secret (AADSTS7000215)', async () => {
    const emulator = await Emulator.start({ bootstrapScheme: 'ServicePrincipal' });
    try {
      const id = emulator.world.bootstrap.connectionId;
      const wrong = 'Wr0ng~Secret-That-Must-Never-Be-Printed-42';
      const parameters = {
        tenantid: emulator.world.tenantId,
        serviceprincipalid: emulator.world.bootstrap.clientId,
        authenticationType: 'spnKey',
        serviceprincipalkey: wrong,
      };
      const outcome = await run(emulator, inputs, {
        env: {
          [`ENDPOINT_AUTH_${id}`]: JSON.stringify({ scheme: 'ServicePrincipal', parameters }),
          [`ENDPOINT_AUTH_PARAMETER_${id}_SERVICEPRINCIPALKEY`]: wrong,
        },
      });
      failed(outcome, /AADSTS7000215.*update the service connection with a valid secret/);
      assert.ok(emulator.secrets().includes(wrong), 'the wrong secret reached Entra ID, and is in the ledger');
      assertNoSecretPrinted(emulator, outcome);
    } finally {
      await emulator.stop();
    }
  });

  describe('log commands in service data or names', () => {
    let emulator: Emulator;
    beforeEach(async () => {
      emulator = await Emulator.start();
    });
    afterEach(async () => {
      await emulator.stop();
    });

    // On the same line and on lines of their own: neither may reach the agent as a command.
    const INJECTED = ' ##vso[task.setvariable variable=injected;isOutput=true]pwned\n##vso[task.complete result=Succeeded;]done';
    /** Commands the injection would issue: the variable, or a second task.complete. */
    const injected = (stdout: string): string[] => {
      const lines = stdout.split('\n');
      const completes = lines.filter((line) => line.startsWith('##vso[task.complete'));
      return [...lines.filter((line) => line.startsWith('##vso[task.setvariable variable=injected')), ...completes.slice(1)];
    };

    it('cannot come from an ARM error message', async () => {
      emulator.faults.add({
        service: 'arm',
        method: 'PUT',
        path: /userAssignedIdentities/i,
        status: 400,
        body: { error: { code: 'BadRequest', message: `Refused.${INJECTED}` } },
      });
      const outcome = await run(emulator, inputs);
      failed(outcome, /Refused\. ##vso_\[task\.setvariable/);
      assert.deepEqual(injected(outcome.stdout), []);
    });

    it('cannot come from an Azure DevOps error message', async () => {
      emulator.faults.add({
        service: 'devops',
        method: 'GET',
        path: /\/_apis\/projects\//,
        status: 400,
        body: {
          $id: '1',
          message: `Bad project.${INJECTED}`,
          typeName: 'System.ArgumentException, mscorlib',
          typeKey: 'ArgumentException',
          errorCode: 0,
          eventId: 3000,
        },
      });
      const outcome = await run(emulator, inputs);
      failed(outcome, /Bad project\. ##vso_\[/);
      assert.deepEqual(injected(outcome.stdout), []);
    });

    it('cannot come from a connection name', async () => {
      const outcome = await run(emulator, { ...inputs, connectionName: `app1${INJECTED.replace(/\n/g, ' ')}`, identityName: 'id-app1-injected' });
      succeeded(outcome);
      assert.deepEqual(injected(outcome.stdout), []);
      assert.match(outcome.stdout, /Created: service connection 'app1 ##vso_\[task\.setvariable/, 'the name is printed, defused');
    });
  });
});

after(function () {
  console.log(
    `\n  secret scan: ${secretScan.runs} task runs printed with system.debug on and ${secretScan.summaries} summary files, checked against ${secretScan.secrets.size} distinct credentials the emulator issued or received: ${secretScan.hits} found\n`,
  );
});
