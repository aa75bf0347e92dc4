/** The service connection: src/resources/serviceConnection.ts's decisions. */
import { strict as assert } from 'node:assert';
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import { ConflictError } from '../../../src/errors';
import { parseRequest } from '../../../src/request';
import * as serviceConnection from '../../../src/resources/serviceConnection';
import { decideConnection } from '../../../src/resources/serviceConnection';
import { type DesiredConnection, toWire } from '../../../src/resources/serviceConnectionWire';
import { observed, rerun } from '../../support/observed';
import { rawTask } from '../fixtures';

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
