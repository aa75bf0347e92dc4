/** The seeded world: tenant, subscription, resource groups, organization, projects, the bootstrap connection and its principal. */
import { managementGroupScope, roleAssignmentResource } from './arm-resources';
import type { CloudProfile } from './clouds';
import { type DevOpsIdentity, newPersonalAccessToken, workloadIdentitySubject, workloadIdentityParameters, identityReference } from './devops-records';
import { type GraphPermission, type DirectoryPrincipal, TOKEN_EXCHANGE_AUDIENCE } from './entra-directory';
import { type StoredApplication, graphApplication, graphServicePrincipal } from './graph-objects';
import { JwtSigningKey, epochSeconds } from './jwt';
import type { ClientCertificate } from './pki';
import { EmulatorState } from './state';
import { type AgentVmIdentity, type ServiceUrls, type PipelineFacts, type World, type Settings, newGuid, newClientSecret } from './world';

export interface SeedOptions {
  /** Role names the bootstrap principal holds: 'Role' at the subscription, 'Role@/scope' elsewhere. */
  bootstrapRoles: string[];
  /** Microsoft Graph application permissions of the bootstrap application. */
  graphPermissions: GraphPermission[];
  /** The bootstrap app's certificate (ServicePrincipalCertificate). */
  clientCertificate?: ClientCertificate;
  /** Which agent VM identity a ManagedServiceIdentity bootstrap uses; default systemAssigned. */
  agentVmIdentity?: AgentVmIdentity;
}

/** Builds the seeded world: tenant, subscription, resource groups, organization, projects, bootstrap. */
export function seedWorld(urls: ServiceUrls, cloud: CloudProfile, settings: Settings, options: SeedOptions): EmulatorState {
  const entraKey = JwtSigningKey.shared('entra');
  const devopsKey = JwtSigningKey.shared('devops');
  const tenantId = newGuid();
  const subscriptionId = newGuid();
  const organization = { name: 'contoso', id: newGuid(), url: `${urls.devops}contoso/` };
  const project = { name: 'platform', id: newGuid() };
  const secondProject = { name: 'app1', id: newGuid() };
  const buildService: DevOpsIdentity = {
    id: newGuid(),
    displayName: `Project Collection Build Service (${organization.name})`,
    uniqueName: `Build\\${organization.id}`,
    descriptor: `svc.${Buffer.from(`${organization.id}:Build:${organization.id}`).toString('base64url')}`,
  };
  const platformAdmin: DevOpsIdentity = {
    id: newGuid(),
    displayName: 'Platform Admin',
    uniqueName: 'platform.admin@contoso.example',
    descriptor: `aad.${Buffer.from(newGuid()).toString('base64url')}`,
  };
  const readerUser: DevOpsIdentity = {
    id: newGuid(),
    displayName: 'Rita Reader',
    uniqueName: 'rita.reader@contoso.example',
    descriptor: `aad.${Buffer.from(newGuid()).toString('base64url')}`,
  };
  const planId = newGuid();
  const jobId = newGuid();
  const agentVmId = `/subscriptions/${subscriptionId}/resourceGroups/rg-agents/providers/Microsoft.Compute/virtualMachines/vm-agent-01`;
  const agentVm: World['agentVm'] = {
    resourceId: agentVmId,
    systemAssigned: { clientId: newGuid(), objectId: newGuid() },
    userAssigned: {
      clientId: newGuid(),
      objectId: newGuid(),
      resourceId: `/subscriptions/${subscriptionId}/resourcegroups/rg-agents/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-agent-vm`,
    },
  };
  const usesVmIdentity = settings.bootstrapScheme === 'ManagedServiceIdentity';
  const vmIdentity = options.agentVmIdentity === 'userAssigned' ? agentVm.userAssigned : agentVm.systemAssigned;
  const bootstrap: World['bootstrap'] = {
    connectionId: newGuid(),
    connectionName: 'platform-bootstrap',
    clientId: usesVmIdentity ? vmIdentity.clientId : newGuid(),
    objectId: usesVmIdentity ? vmIdentity.objectId : newGuid(),
    applicationObjectId: newGuid(),
    clientSecret: newClientSecret(),
    certificatePem: options.clientCertificate?.pem,
    msiClientId: usesVmIdentity && options.agentVmIdentity === 'userAssigned' ? vmIdentity.clientId : undefined,
  };
  const managementGroup = { id: 'mg-platform', displayName: 'Platform', scope: managementGroupScope('mg-platform') };
  const customRole = { id: newGuid(), roleName: 'Platform Deployer' };
  const personalAccessTokens = { administrator: newPersonalAccessToken(), reader: newPersonalAccessToken() };
  const issuedAt = epochSeconds();
  // Shaped like a real System.AccessToken (iss/aud app.vstoken.visualstudio.com, nameid = identity id).
  const jobAccessToken = devopsKey.sign({
    nameid: buildService.id,
    scp: 'app_token',
    aui: newGuid(),
    appid: newGuid(),
    iss: 'app.vstoken.visualstudio.com',
    aud: `app.vstoken.visualstudio.com|vso:${organization.id}`,
    orchid: `${planId}.${jobId}.__default`,
    nbf: issuedAt,
    exp: issuedAt + 6 * 3600,
  });
  const resourceGroups = [
    { name: 'rg-identities', location: 'westeurope' },
    { name: 'rg-app1-dev', location: 'westeurope' },
  ];
  // Folders as Azure DevOps writes them; one name in two folders, for the ambiguous-name case.
  const pipelines: PipelineFacts[] = [
    { id: 1, name: 'platform-bootstrap', folder: '\\', projectId: project.id },
    { id: 7, name: 'app1-deploy', folder: '\\apps', projectId: project.id },
    { id: 8, name: 'app1-deploy', folder: '\\legacy', projectId: project.id },
    { id: 12, name: 'app1-ci', folder: '\\', projectId: project.id },
    { id: 21, name: 'app1-release', folder: '\\', projectId: secondProject.id },
  ];
  const world: World = {
    tenantId,
    subscriptionId,
    subscriptionName: 'Platform Dev',
    resourceGroups: resourceGroups.map((rg) => ({ ...rg, id: `/subscriptions/${subscriptionId}/resourceGroups/${rg.name}` })),
    organization,
    project,
    secondProject,
    pipelines,
    bootstrap,
    buildService: { id: buildService.id, displayName: buildService.displayName },
    managementGroup,
    customRole,
    agentVm,
    personalAccessTokens,
    jobAccessToken,
    planId,
    jobId,
  };

  const state = new EmulatorState(world, urls, cloud, settings, entraKey, devopsKey, { id: subscriptionId, displayName: 'Platform Dev' }, resourceGroups);
  state.noteSecret(jobAccessToken);
  state.noteSecret(bootstrap.clientSecret);
  // The agent masks line by line: each line of the certificate's private key is a secret of its own.
  const privateKey = /-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]*?)-----END/.exec(bootstrap.certificatePem ?? '')?.[1] ?? '';
  for (const line of privateKey.split(/\r?\n/)) if (line.trim().length >= 16) state.noteSecret(line.trim());
  state.devopsIdentities.set(buildService.id, buildService);
  state.devopsIdentities.set(platformAdmin.id, platformAdmin);
  state.devopsIdentities.set(readerUser.id, readerUser);
  state.devopsRoles.set(readerUser.id, 'Reader');
  state.personalAccessTokens.set(personalAccessTokens.administrator, platformAdmin.id);
  state.personalAccessTokens.set(personalAccessTokens.reader, readerUser.id);
  state.noteSecret(personalAccessTokens.administrator);
  state.noteSecret(personalAccessTokens.reader);

  // Tenant Root Group (id = tenant id) > Platform > the subscription.
  state.managementGroups.push(
    { id: tenantId, displayName: 'Tenant Root Group' },
    { id: managementGroup.id, displayName: managementGroup.displayName, parentId: tenantId },
  );
  state.subscriptionParent = managementGroup.id;
  state.customRoles.push({
    id: customRole.id,
    roleName: customRole.roleName,
    description: 'Reads everything and runs deployments; defined by the platform team.',
    type: 'CustomRole',
    assignableScopes: [managementGroup.scope],
    permissions: [{ actions: ['*/read', 'Microsoft.Resources/deployments/*'], notActions: [], dataActions: [], notDataActions: [] }],
  });
  const seededAt = new Date().toISOString();
  state.projects.push(
    { id: project.id, name: project.name, description: 'Platform team', revision: 11, lastUpdateTime: seededAt, state: 'wellFormed' },
    { id: secondProject.id, name: secondProject.name, description: 'Application 1', revision: 12, lastUpdateTime: seededAt, state: 'wellFormed' },
  );
  state.pipelineDefinitions.push(...pipelines.map((p) => ({ ...p })));

  const bootstrapIssuer = state.entraIssuer(tenantId);
  const bootstrapSubject = workloadIdentitySubject(tenantId, organization.id, bootstrap.connectionId);
  const longAgo = Date.now() - 30 * 24 * 3600_000;
  const vmPrincipal = (identity: { clientId: string; objectId: string }, displayName: string, resourceId: string): DirectoryPrincipal => ({
    objectId: identity.objectId,
    appId: identity.clientId,
    displayName,
    kind: 'ManagedIdentity',
    createdAt: longAgo,
    secrets: [],
    managedIdentityResourceId: resourceId,
  });
  state.principals.set(agentVm.systemAssigned.objectId, vmPrincipal(agentVm.systemAssigned, 'vm-agent-01', agentVm.resourceId));
  state.principals.set(agentVm.userAssigned.objectId, vmPrincipal(agentVm.userAssigned, 'id-agent-vm', agentVm.userAssigned.resourceId));
  if (!usesVmIdentity) {
    // The bootstrap connection's identity: an app registration made by an administrator a month ago, with
    // a secret and a federated credential for the bootstrap connection, and admin-consented Graph permissions.
    const bootstrapApplication: StoredApplication = {
      resource: graphApplication({
        id: bootstrap.applicationObjectId,
        appId: bootstrap.clientId,
        displayName: 'contoso-platform-bootstrap',
        signInAudience: 'AzureADMyOrg',
        uniqueName: null,
        createdAt: longAgo,
      }),
      owners: [platformAdmin.id],
      createdAt: longAgo,
      federatedCredentials: new Map([
        [
          'platform-bootstrap',
          {
            resource: {
              id: newGuid(),
              name: 'platform-bootstrap',
              issuer: bootstrapIssuer,
              subject: bootstrapSubject,
              description: null,
              audiences: [TOKEN_EXCHANGE_AUDIENCE],
            },
            createdAt: longAgo,
          },
        ],
      ]),
    };
    state.applications.set(bootstrap.applicationObjectId.toLowerCase(), bootstrapApplication);
    state.addServicePrincipal(graphServicePrincipal(bootstrap.objectId, bootstrapApplication.resource, tenantId), bootstrapApplication, [], longAgo);
    const bootstrapPrincipal = state.principals.get(bootstrap.objectId)!;
    bootstrapPrincipal.secrets.push(bootstrap.clientSecret);
    bootstrapPrincipal.graphPermissions = [...options.graphPermissions];
    if (options.clientCertificate) bootstrapPrincipal.certificates = [options.clientCertificate];
  }
  // The bootstrap principal as a user of the organization (Azure DevOps adds service principals and managed
  // identities as users: https://learn.microsoft.com/azure/devops/integrate/get-started/authentication/service-principal-managed-identity).
  const bootstrapUser: DevOpsIdentity = {
    id: newGuid(),
    displayName: usesVmIdentity ? 'vm-agent-01' : 'contoso-platform-bootstrap',
    uniqueName: bootstrap.objectId,
    descriptor: `aadsp.${Buffer.from(bootstrap.objectId).toString('base64url')}`,
  };
  state.devopsIdentities.set(bootstrapUser.id, bootstrapUser);
  state.devopsMembers.set(bootstrap.objectId, bootstrapUser.id);

  const subscriptionScope = `/subscriptions/${subscriptionId}`;
  for (const entry of options.bootstrapRoles) {
    const [roleName, at] = entry.split('@');
    const role = state.roleByName(roleName);
    if (!role) throw new Error(`Emulator: unknown bootstrap role '${roleName}'`);
    const scope = at ?? subscriptionScope;
    const inSubscription = scope.toLowerCase().startsWith(subscriptionScope.toLowerCase());
    const assignment = roleAssignmentResource({
      scope,
      name: newGuid(),
      roleDefinitionId: `${inSubscription ? subscriptionScope : ''}/providers/Microsoft.Authorization/roleDefinitions/${role.id}`,
      principalId: bootstrap.objectId,
      principalType: 'ServicePrincipal',
      createdBy: null,
    });
    state.roleAssignments.set(assignment.id.toLowerCase(), assignment);
  }

  const scheme = settings.bootstrapScheme === 'ServicePrincipalCertificate' ? 'ServicePrincipal' : settings.bootstrapScheme;
  const parameters: Record<string, string | null> = { tenantid: tenantId, serviceprincipalid: bootstrap.clientId };
  const secrets: Record<string, string> = {};
  const data: Record<string, string> = {
    environment: cloud.environment,
    scopeLevel: 'Subscription',
    subscriptionId,
    subscriptionName: world.subscriptionName,
    creationMode: 'Manual',
  };
  switch (settings.bootstrapScheme) {
    case 'WorkloadIdentityFederation':
      Object.assign(parameters, workloadIdentityParameters(bootstrapIssuer, bootstrapSubject));
      break;
    case 'ServicePrincipal':
      parameters.authenticationType = 'spnKey';
      parameters.serviceprincipalkey = null;
      secrets.serviceprincipalkey = bootstrap.clientSecret;
      break;
    case 'ServicePrincipalCertificate':
      parameters.authenticationType = 'spnCertificate';
      parameters.servicePrincipalCertificate = null;
      secrets.servicePrincipalCertificate = bootstrap.certificatePem ?? '';
      break;
    case 'ManagedServiceIdentity':
      // A managed identity connection names only the tenant; the agent machine supplies the identity.
      delete parameters.serviceprincipalid;
      if (bootstrap.msiClientId) data.msiclientId = bootstrap.msiClientId;
      break;
  }
  state.serviceEndpoints.set(bootstrap.connectionId, {
    endpoint: {
      id: bootstrap.connectionId,
      name: bootstrap.connectionName,
      type: 'AzureRM',
      url: urls.arm,
      description: '',
      data,
      authorization: { scheme, parameters },
      createdBy: identityReference(platformAdmin, organization.url),
      isShared: false,
      isReady: true,
      isDisabled: false,
      isOutdated: false,
      owner: 'Library',
      serviceEndpointProjectReferences: [{ projectReference: { ...project }, name: bootstrap.connectionName, description: '' }],
    },
    secrets,
    creatorId: platformAdmin.id,
    inProgressReadsLeft: 0,
    finalState: 'Ready',
    finalStatusMessage: '',
  });
  return state;
}
