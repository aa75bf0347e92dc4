/**
 * Binds each step of the plan to the resource module that carries it out.
 */
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import type { Clients } from './clients';
import { runPlan } from './engine';
import { connectionTagValue, federatedCredentialName } from './naming';
import type { Step, StepId } from './plan';
import type { ProvisioningRequest } from './request';
import { replicationPolicy } from './retry';
import { ensureFederatedCredential, FederatedCredential } from './resources/federatedCredential';
import {
  lookupIdentityLocation,
  lookupProject,
  lookupResourceGroup,
  lookupRoleDefinition,
  lookupSubscription,
  Project,
  ResourceGroup,
  RoleDefinition,
  Subscription,
} from './resources/lookups';
import { decideIdentity, DesiredIdentity, ensureIdentity, ManagedIdentity, readIdentity } from './resources/managedIdentity';
import type { Outcome } from './resources/outcome';
import {
  ACTIONS,
  ArmGrants,
  armRequirement,
  assertPermitted,
  ConnectionAccess,
  PIPELINE_IDENTITY,
  readArmPermissions,
  readConnectionAccess,
  Requirement,
} from './resources/permissions';
import { ensureRoleAssignment, RoleAssignment } from './resources/roleAssignment';
import { assertReusable, Connection, decideConnection, DesiredConnection, ensureConnection, findConnection } from './resources/serviceConnection';

export interface Provisioned {
  project: Project;
  subscription: Subscription;
  roleDefinition: RoleDefinition;
  identityResourceGroup: ResourceGroup;
  scopeResourceGroup: ResourceGroup;
  existingIdentity: ManagedIdentity | null;
  existingConnection: ServiceEndpoint | null;
  identityLocation: string;
  azurePermissions: { roleScope: ArmGrants; identityScope: ArmGrants };
  devopsPermissions: ConnectionAccess;
  identity: Outcome<ManagedIdentity>;
  roleAssignment: Outcome<RoleAssignment>;
  connection: Outcome<Connection>;
  federatedCredential: Outcome<FederatedCredential>;
}

export function provision(
  request: ProvisioningRequest,
  plan: readonly Step[],
  clients: Clients,
  onStep: (step: Step, result: unknown) => void,
): Promise<Provisioned> {
  const { azure, identity, devops, dryRun } = request;
  const identityScope = `/subscriptions/${azure.subscriptionId}/resourceGroups/${identity.resourceGroup}`;
  const roleScope = (done: Provisioned): string =>
    azure.resourceGroup ? `/subscriptions/${azure.subscriptionId}/resourceGroups/${done.scopeResourceGroup.name}` : azure.scope;

  const desiredIdentity = (done: Provisioned): DesiredIdentity => ({
    resourceGroup: identity.resourceGroup,
    name: identity.name,
    location: identity.location ?? done.identityResourceGroup.location,
    owner: connectionTagValue(devops.organization, done.project.id, request.connectionName),
  });
  const desiredConnection = (done: Provisioned, clientId: string, tenantId: string): DesiredConnection => ({
    name: request.connectionName,
    description: request.connectionDescription,
    project: done.project,
    environment: request.bootstrap.cloud.environment,
    resourceManagerUrl: request.bootstrap.cloud.resourceManagerUrl,
    tenantId: tenantId || request.bootstrap.auth.tenantId,
    clientId,
    subscriptionId: azure.subscriptionId,
    subscriptionName: azure.subscriptionName ?? done.subscription.name,
    resourceGroupScope: azure.resourceGroup ? `/subscriptions/${azure.subscriptionId}/resourcegroups/${done.scopeResourceGroup.name}` : undefined,
  });

  // What each write needs, checked against the preflight's reads (see resources/permissions.ts).
  const identityFix = `assign it Managed Identity Contributor or Contributor on resource group '${identity.resourceGroup}'`;
  const needs = {
    identity: (done: Provisioned) => armRequirement(done.azurePermissions.identityScope, ACTIONS.writeIdentity, identityScope, identityFix),
    credential: (done: Provisioned) =>
      armRequirement(done.azurePermissions.identityScope, ACTIONS.writeFederatedCredential, identityScope, identityFix),
    roleAssignment: (done: Provisioned) =>
      armRequirement(
        done.azurePermissions.roleScope,
        ACTIONS.writeRoleAssignment,
        roleScope(done),
        'assign it Role Based Access Control Administrator, User Access Administrator or Owner on that scope',
      ),
    connection: (done: Provisioned, decision: 'create' | 'keep' | 'update'): Requirement => {
      if (decision === 'create') {
        return {
          granted: done.devopsPermissions.create,
          missing: `${PIPELINE_IDENTITY} lacks the Creator role on service connections in project '${done.project.name}' (add it as Creator under Project settings, Service connections, Security)`,
        };
      }
      return {
        granted: decision === 'update' ? done.devopsPermissions.administer : true,
        missing: `${PIPELINE_IDENTITY} lacks the Administrator role on the service connection '${request.connectionName}', which this run must update (add it as Administrator on that connection's Security page)`,
      };
    },
  };

  return runPlan<Provisioned>(
    plan,
    {
      project: () => lookupProject(clients, devops.project),
      subscription: () => lookupSubscription(clients, azure.subscriptionId),
      roleDefinition: () => lookupRoleDefinition(clients, azure.scope, azure.roleDefinitionName),
      identityResourceGroup: () =>
        lookupResourceGroup(clients, 'identityResourceGroup', azure.subscriptionId, identity.resourceGroup),
      scopeResourceGroup: () => lookupResourceGroup(clients, 'resourceGroup', azure.subscriptionId, azure.resourceGroup ?? ''),
      existingIdentity: () => readIdentity(clients, identity.resourceGroup, identity.name),
      existingConnection: () => findConnection(clients, devops.project, request.connectionName),
      identityLocation: () => lookupIdentityLocation(clients, azure.subscriptionId, identity.location ?? ''),
      azurePermissions: async () => {
        const sameScope = azure.scope.toLowerCase() === identityScope.toLowerCase();
        const [roleScopeGrants, identityScopeGrants] = await Promise.all([
          readArmPermissions(clients, azure.scope),
          sameScope ? undefined : readArmPermissions(clients, identityScope),
        ]);
        return { roleScope: roleScopeGrants, identityScope: sameScope ? roleScopeGrants : identityScopeGrants };
      },
      devopsPermissions: (done) => readConnectionAccess(clients, done.project.id, done.existingConnection?.id),

      identity: async (done) => {
        // A connection of that name without the identity: a concurrent run may have made both between
        // our two reads, so look again before calling the connection someone else's.
        const existingIdentity =
          done.existingIdentity ?? (done.existingConnection ? await readIdentity(clients, identity.resourceGroup, identity.name) : null);
        // An existing connection of that name must be reusable before anything is written.
        if (done.existingConnection) {
          assertReusable(
            done.existingConnection,
            {
              name: request.connectionName,
              projectName: done.project.name,
              tenantId: existingIdentity?.tenantId || request.bootstrap.auth.tenantId,
              clientId: existingIdentity?.clientId,
            },
            request.existingConnection,
          );
        }
        const desired = desiredIdentity(done);
        const identityDecision = decideIdentity(desired, existingIdentity);
        const connectionDecision = decideConnection(
          desiredConnection(done, existingIdentity?.clientId ?? '', existingIdentity?.tenantId ?? ''),
          done.existingConnection,
          request.existingConnection,
        );
        // Everything this run will certainly write is checked before its first write. Once the identity
        // exists, its credential and role assignment may exist too: those steps check before they write.
        const certain: Requirement[] = [needs.connection(done, connectionDecision)];
        if (identityDecision === 'create') certain.push(needs.identity(done), needs.credential(done), needs.roleAssignment(done));
        assertPermitted(certain, 'before any write');
        return ensureIdentity(clients, desired, existingIdentity, { dryRun });
      },
      roleAssignment: (done) =>
        ensureRoleAssignment(
          clients,
          {
            scope: roleScope(done),
            principalId: done.identity.value.principalId,
            roleDefinitionId: done.roleDefinition.id,
            roleName: done.roleDefinition.name,
          },
          done.identity.action === 'created',
          {
            dryRun,
            replication: replicationPolicy(request.replicationWaitSeconds),
            beforeWrite: () => assertPermitted([needs.roleAssignment(done)], 'before this write'),
          },
        ),
      connection: (done) => {
        const desired = desiredConnection(done, done.identity.value.clientId, done.identity.value.tenantId);
        return ensureConnection(clients, desired, done.existingConnection, request.existingConnection, {
          dryRun,
          beforeWrite: () => assertPermitted([needs.connection(done, decideConnection(desired, done.existingConnection, request.existingConnection))], 'before this write'),
        });
      },
      federatedCredential: (done) =>
        ensureFederatedCredential(
          clients,
          {
            resourceGroup: identity.resourceGroup,
            identityName: done.identity.value.name || identity.name,
            name: federatedCredentialName(done.connection.value.id),
            issuer: done.connection.value.issuer,
            subject: done.connection.value.subject,
          },
          // A new identity has no credential; nor, in a dry run, does a connection that does not exist yet.
          done.identity.action === 'created' || (dryRun && done.connection.action === 'created'),
          { dryRun, beforeWrite: () => assertPermitted([needs.credential(done)], 'before this write') },
        ),
    },
    (id: StepId, result) => onStep(plan.find((s) => s.id === id)!, result),
  );
}
