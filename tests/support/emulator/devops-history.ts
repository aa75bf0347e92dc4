/**
 * Azure DevOps' execution history of a service connection: GET {org}/{project}/_apis/serviceendpoint/{endpointId}/executionhistory
 * ("Executionhistory - List", tests/fixtures/contracts/ado-serviceendpoint-7.2, 7.2-preview.1): the records
 * newest first (docs/wire.md), `top` of them, the rest behind `continuationToken` (int64) with its value in
 * the x-ms-continuationtoken header, as Azure DevOps pages lists. Records are ServiceEndpointExecutionRecord:
 * `{ endpointId, data: { id, planType, definition, owner, startTime, finishTime, result } }`.
 */
import { ADO_TYPES, adoError, hasRole, projectRole, type DevOpsCaller } from './devops-common';
import type { ProjectRecord } from './devops-records';
import { jsonResponse, type EmulatorRequest, type EmulatorResponse } from './http';
import type { EmulatorState } from './state';

export interface ExecutionRecord {
  endpointId: string;
  data: {
    id: number;
    planType: string;
    definition: { id: number; name: string };
    owner: { id: number; name: string };
    startTime: string;
    finishTime: string;
    result: 'succeeded' | 'succeededWithIssues' | 'failed' | 'canceled' | 'skipped' | 'abandoned';
  };
}

/** Azure DevOps' default page of execution records when `top` is not given (*uncertain*: the contract names no default). */
const DEFAULT_TOP = 50;

/** A record of one use of the connection by a pipeline run, ending `finishedAt` (epoch ms). */
export function executionRecord(endpointId: string, id: number, finishedAt: number, pipeline = { id: 1, name: 'app1-deploy' }): ExecutionRecord {
  return {
    endpointId,
    data: {
      id,
      planType: 'Build',
      definition: pipeline,
      owner: { id: 1000 + id, name: `${pipeline.name} #${id}` },
      startTime: new Date(finishedAt - 60_000).toISOString(),
      finishTime: new Date(finishedAt).toISOString(),
      result: 'succeeded',
    },
  };
}

export function executionHistory(
  state: EmulatorState,
  request: EmulatorRequest,
  caller: DevOpsCaller,
  project: ProjectRecord,
  endpointId: string,
): EmulatorResponse {
  const stored = state.serviceEndpoints.get(endpointId.toLowerCase());
  if (!stored || !stored.endpoint.serviceEndpointProjectReferences.some((r) => r.projectReference.id === project.id)) {
    return adoError(404, ADO_TYPES.endpointNotFound, `Service connection with id ${endpointId} not found.`);
  }
  if (!hasRole(projectRole(state, caller, project), 'Reader')) {
    return adoError(
      403,
      ADO_TYPES.accessCheck,
      `You do not have permission to view the execution history of the service connection '${stored.endpoint.name}'.`,
    );
  }
  const records = [...(state.executionRecords.get(stored.endpoint.id) ?? [])].sort((a, b) => b.data.id - a.data.id);
  const top = Number(request.query.get('top') ?? DEFAULT_TOP) || DEFAULT_TOP;
  const after = request.query.get('continuationToken');
  const start = after === null ? 0 : records.findIndex((r) => r.data.id < Number(after));
  const page = start < 0 ? [] : records.slice(start, start + top);
  const more = start >= 0 && start + top < records.length;
  return jsonResponse(200, { count: page.length, value: page }, more ? { 'x-ms-continuationtoken': String(page[page.length - 1].data.id) } : {});
}
