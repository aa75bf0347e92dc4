/**
 * What the Azure DevOps routes share: the authenticated caller, the error body, project lookups and the
 * service-connection roles of the security model.
 */
import { jsonResponse, type EmulatorResponse } from './http';
import type { BuildServiceRole, DevOpsIdentity, EmulatorState, ProjectRecord } from './world';

export interface DevOpsCaller {
  identity: DevOpsIdentity;
  /** Claims of the job token (planId/jobId come from its orchid claim). */
  planId?: string;
  jobId?: string;
}

/**
 * Azure DevOps' error body (WIRE.md): {"$id":"1","innerException":null,"message","typeName","typeKey",
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
  duplicateConnection: 'Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi.DuplicateServiceConnectionException, Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi',
  endpointNotFound: 'Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi.ServiceEndpointNotFoundException, Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi',
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
