/** The service connection: src/resources/serviceConnection.ts's decisions, and its read back until ready. */
import { strict as assert } from 'node:assert';
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import type { Clients } from '../../../src/clients';
import { systemClock } from '../../../src/clock';
import { ConflictError, type TaskError } from '../../../src/errors';
import { parseRequest } from '../../../src/request';
import * as serviceConnection from '../../../src/resources/serviceConnection';
import { decideConnection } from '../../../src/resources/serviceConnection';
import { type DesiredConnection, toWire } from '../../../src/resources/serviceConnectionWire';
import { observed, rerun } from '../../support/observed';
import { rawTask } from '../fixtures';
import { devopsAnswering } from '../recorded';

describe('service connection', () => {
  describe('decideConnection', () => {
    const desired: DesiredConnection = {
      name: 'app1-dev',
      description: '',
      project: { id: 'p', name: 'platform' },
      environment: 'AzureCloud',
      resourceManagerUrl: 'https://management.azure.com/',
      tenantId: 't',
      clientId: 'c',
      subscriptionId: 's',
      subscriptionName: 'Dev',
    };
    const found = (changes: Partial<ServiceEndpoint> = {}): ServiceEndpoint => ({ ...toWire(desired), id: 'e', ...changes });

    it('creates when the name is free, keeps the same connection, updates a changed one', () => {
      assert.equal(decideConnection(desired, null, 'reuse'), 'create');
      assert.equal(decideConnection(desired, found(), 'reuse'), 'keep');
      assert.equal(decideConnection(desired, found({ description: 'old' }), 'reuse'), 'update');
    });

    it("refuses another identity's connection, and any when told to fail", () => {
      assert.throws(
        () =>
          decideConnection(
            desired,
            found({ authorization: { scheme: 'WorkloadIdentityFederation', parameters: { tenantid: 't', serviceprincipalid: 'other' } } }),
            'reuse',
          ),
        ConflictError,
      );
      assert.throws(() => decideConnection(desired, found(), 'fail'), ConflictError);
    });

    it('names the field that differs: the same client id in another tenant says tenant, not client id (issue 24, class 12)', () => {
      const refusal = (authorization: ServiceEndpoint['authorization'], type?: string): string => {
        try {
          decideConnection(desired, found({ authorization, ...(type ? { type } : {}) }), 'reuse');
        } catch (error) {
          assert.ok(error instanceof ConflictError);
          return error.message;
        }
        return assert.fail('refused');
      };
      assert.equal(
        refusal({ scheme: 'WorkloadIdentityFederation', parameters: { tenantid: 'other-tenant', serviceprincipalid: 'c' } }),
        "the service connection 'app1-dev' in project 'platform' uses the client id 'c' in tenant 'other-tenant', not in the identity's tenant 't': the tenant differs",
      );
      assert.match(
        refusal({ scheme: 'ServicePrincipal', parameters: { tenantid: 't', serviceprincipalid: 'c' } }),
        /uses the scheme ServicePrincipal, not WorkloadIdentityFederation: the scheme differs$/,
      );
      assert.match(
        refusal({ scheme: 'WorkloadIdentityFederation', parameters: { tenantid: 't', serviceprincipalid: 'c' } }, 'generic'),
        /is of type 'generic', not AzureRM: the type differs$/,
      );
      assert.match(
        refusal({ scheme: 'WorkloadIdentityFederation', parameters: { tenantid: 't', serviceprincipalid: 'x' } }),
        /with client id 'x', not the identity 'c'$/,
      );
    });
  });

  describe('the entry of the change set', () => {
    const req = parseRequest(rawTask({ resourceGroup: 'rg-app1-dev' }));

    it('asks for the Creator role to create the connection, and the Administrator role to update it', () => {
      assert.match(serviceConnection.decide(req, observed(req)).needs[0].unmet, /lacks the Creator role on service connections in project 'platform'/);
      const changed = parseRequest(rawTask({ resourceGroup: 'rg-app1-dev', connectionDescription: 'new' }));
      const update = serviceConnection.decide(changed, rerun(changed, { devopsAccess: { administer: false } }));
      assert.equal(update.action, 'update');
      assert.deepEqual(
        update.needs.map((need) => need.allowed),
        [false],
      );
    });

    it("wants the existing identity's client id, and none for an identity yet to be created", () => {
      assert.equal(serviceConnection.decide(req, rerun(req)).desired.clientId, 'client-id');
      assert.equal(serviceConnection.decide(req, observed(req)).desired.clientId, '');
    });
  });
});

describe('a connection read back by its id (ado-serviceendpoint-get-real)', () => {
  const notReady = { id: 'c1', name: 'app1-dev', tenantId: 't', clientId: 'c', issuer: '', subject: '', ready: false, disabled: false, projectIds: ['p'] };
  const clientsReading = (body: unknown): Clients =>
    ({ clock: systemClock, devops: devopsAnswering({ status: 200, body }, body === null ? '' : JSON.stringify(body)) }) as unknown as Clients;

  it('names the missing role when Azure DevOps answers no connection for its id, without waiting', async () => {
    await assert.rejects(serviceConnection.untilReady(clientsReading(null), { id: 'p', name: 'platform' }, notReady), (error: TaskError) =>
      /identity of devOpsAuth cannot read it.*a User of the connection/.test(error.describe()),
    );
  });

  it('names the missing role for an object without its authorization details', async () => {
    const partial = { id: 'c1', name: 'app1-dev', type: null, data: null, authorization: null };
    await assert.rejects(serviceConnection.untilReady(clientsReading(partial), { id: 'p', name: 'platform' }, notReady), (error: TaskError) =>
      /may see only part of it.*Security/.test(error.describe()),
    );
  });
});
