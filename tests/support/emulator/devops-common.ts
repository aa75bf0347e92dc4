/**
 * What the Azure DevOps routes share: the authenticated caller, the error body, project lookups and the
 * service-connection roles of the security model.
 */
import { jsonResponse, type EmulatorResponse } from './http';
import type { BuildServiceRole, DevOpsIdentity, ProjectRecord } from './devops-records';
import type { EmulatorState } from './state';

export interface DevOpsCaller {
  identity: DevOpsIdentity;
  /** Claims of the job token (planId/jobId come from its orchid claim). */
  planId?: string;
  jobId?: string;
}

/**
 * Azure DevOps' error body (docs/wire.md): {"$id":"1","innerException":null,"message","typeName","typeKey",
 * "errorCode":0,"eventId":3000}. typeName is the assembly-qualified .NET exception type.
 */
export function adoError(status: number, typeName: string, message: string): EmulatorResponse {
  const typeKey = typeName.split(',')[0].split('.').pop() ?? typeName;
  return jsonResponse(status, { $id: '1', innerException: null, message, typeName, typeKey, errorCode: 0, eventId: 3000 });
}

export const ADO_TYPES = {
  accessCheck: 'Microsoft.VisualStudio.Services.Security.AccessCheckException, Microsoft.VisualStudio.Services.WebApi',
  argument: 'System.ArgumentException, mscorlib',
  argumentNull: 'System.ArgumentNullException, mscorlib',
  duplicateConnection:
    'Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi.DuplicateServiceConnectionException, Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi',
  endpointNotFound:
    'Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi.ServiceEndpointNotFoundException, Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi',
  invalidOperation: 'System.InvalidOperationException, mscorlib',
  planNotFound: 'Microsoft.TeamFoundation.DistributedTask.WebApi.TaskOrchestrationPlanNotFoundException, Microsoft.TeamFoundation.DistributedTask.WebApi',
  projectByIdNotFound: 'Microsoft.TeamFoundation.Core.WebApi.ProjectDoesNotExistException, Microsoft.TeamFoundation.Core.WebApi',
  projectByNameNotFound: 'Microsoft.TeamFoundation.Core.WebApi.ProjectDoesNotExistWithNameException, Microsoft.TeamFoundation.Core.WebApi',
  unauthorized: 'Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server',
} as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** 404 for a project given by name (TF200016) or by id (VS800075), as the project routes answer. */
export function projectNotFound(idOrName: string): EmulatorResponse {
  if (GUID.test(idOrName)) {
    return adoError(
      404,
      ADO_TYPES.projectByIdNotFound,
      `VS800075: The project with id 'vstfs:///Classification/TeamProject/${idOrName}' does not exist, or you do not have permission to access it.`,
    );
  }
  return adoError(
    404,
    ADO_TYPES.projectByNameNotFound,
    `TF200016: The following project does not exist: ${idOrName}. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server.`,
  );
}

const ROLE_RANK: Record<BuildServiceRole, number> = { Reader: 0, User: 1, Creator: 2, Administrator: 3 };

/**
 * The caller's project-level role on service connections. The job identity and the bootstrap principal
 * have the configured roles; Rita Reader is a reader; the Platform Admin is a project administrator.
 */
export function projectRole(state: EmulatorState, caller: DevOpsCaller, _project: ProjectRecord): BuildServiceRole {
  return state.devopsRole(caller.identity.id);
}

export function hasRole(role: BuildServiceRole, atLeast: BuildServiceRole): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[atLeast];
}

/**
 * The ServiceEndpoints security namespace (49b48001-ca20-4adc-8111-5b60c903a50c) and its permission bits,
 * as Microsoft's namespace reference lists them; tokens are endpoints/{projectId} for every connection of a
 * project and endpoints/{projectId}/{endpointId} for one (terraform-provider-azuredevops
 * resource_serviceendpoint_permissions.go). The roles of the security model are sets of these bits.
 */
export const SERVICE_ENDPOINTS_NAMESPACE = '49b48001-ca20-4adc-8111-5b60c903a50c';
export const ENDPOINT_BITS = { use: 1, administer: 2, create: 4, viewAuthorization: 8, viewEndpoint: 16 } as const;
const ROLE_BITS: Record<BuildServiceRole, number> = {
  Reader: ENDPOINT_BITS.viewEndpoint,
  User: ENDPOINT_BITS.viewEndpoint | ENDPOINT_BITS.use,
  Creator: ENDPOINT_BITS.viewEndpoint | ENDPOINT_BITS.use | ENDPOINT_BITS.create,
  Administrator: 31,
};

/** The caller's effective permission bits on a ServiceEndpoints token; 0 for a token it has nothing on. */
export function endpointPermissions(state: EmulatorState, caller: DevOpsCaller, token: string): number {
  const [root, projectId, endpointId, ...rest] = token.split('/');
  if (root?.toLowerCase() !== 'endpoints' || !projectId || rest.length > 0) return 0;
  const project = state.findProject(projectId);
  if (!project || project.id !== projectId.toLowerCase()) return 0;
  const bits = ROLE_BITS[projectRole(state, caller, project)];
  if (!endpointId) return bits;
  const stored = state.serviceEndpoints.get(endpointId.toLowerCase());
  if (!stored || !stored.endpoint.serviceEndpointProjectReferences.some((r) => r.projectReference.id === project.id)) return bits;
  // The creator of a connection is its Administrator (see devops-endpoints.ts).
  return stored.creatorId === caller.identity.id ? 31 : bits & ~ENDPOINT_BITS.create;
}
