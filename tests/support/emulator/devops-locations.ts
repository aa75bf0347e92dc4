/**
 * Azure DevOps resource locations and REST api-version rules.
 *
 * azure-devops-node-api (VsoClient.beginGetAreaLocations) sends OPTIONS {org}/_apis/{area} before the
 * first call of an area, looks the location up by id, expands its routeTemplate and negotiates the
 * version it puts in the Accept header (VsoClient.autoNegotiateApiVersion): the client's "7.2-preview.4"
 * is kept when 7.2 <= maxVersion and 4 <= resourceVersion. The server then enforces the version it is
 * given (Microsoft.VisualStudio.Services.WebApi VssVersionOutOfRange / VssInvalidPreviewVersion errors).
 */
import type { EmulatorRequest } from './http';

export interface ApiResourceLocation {
  id: string;
  area: string;
  resourceName: string;
  routeTemplate: string;
  resourceVersion: number;
  minVersion: string;
  maxVersion: string;
  releasedVersion: string;
}

export const LOCATIONS = {
  /** Org-level endpoints: create, update, share, delete (docs/wire.md). */
  serviceEndpointsCollection: {
    id: '14e48fdc-2c8b-41ce-a0c3-e26f6cc55bd0',
    area: 'serviceendpoint',
    resourceName: 'endpoints',
    routeTemplate: '_apis/{area}/{resource}/{endpointId}',
    resourceVersion: 4,
    minVersion: '5.0',
    maxVersion: '7.2',
    releasedVersion: '7.1',
  },
  /** Project-level endpoints: get by id, list, get by names. */
  serviceEndpointsProject: {
    id: 'e85f1c62-adfc-4b74-b618-11a150fb195e',
    area: 'serviceendpoint',
    resourceName: 'endpoints',
    routeTemplate: '{project}/_apis/{area}/{resource}/{endpointId}',
    resourceVersion: 4,
    minVersion: '5.0',
    maxVersion: '7.2',
    releasedVersion: '7.1',
  },
  /** Executionhistory - List (the 7.2 contract: api-Version-preview.1). */
  executionHistory: {
    id: '10a16738-9299-4cd1-9a81-fd23ad6200d0',
    area: 'serviceendpoint',
    resourceName: 'executionhistory',
    routeTemplate: '{project}/_apis/{area}/{endpointId}/{resource}',
    resourceVersion: 1,
    minVersion: '5.0',
    maxVersion: '7.2',
    releasedVersion: '7.1',
  },
  /**
   * The service endpoint proxy (execute a data source such as TestConnection): 7.2-preview.1 in
   * azure-devops-node-api's ServiceEndpointApi, released 7.1 (docs/wire.md, "Verification").
   */
  endpointProxy: {
    id: 'cc63bb57-2a5f-4a7a-b79c-c142d308657e',
    area: 'serviceendpoint',
    resourceName: 'endpointproxy',
    routeTemplate: '{project}/_apis/{area}/{resource}',
    resourceVersion: 1,
    minVersion: '5.0',
    maxVersion: '7.2',
    releasedVersion: '7.1',
  },
  projects: {
    id: '603fe2ac-9723-48b9-88ad-09305aa6c6e1',
    area: 'core',
    resourceName: 'projects',
    routeTemplate: '_apis/{resource}/{*projectId}',
    resourceVersion: 4,
    minVersion: '1.0',
    maxVersion: '7.2',
    releasedVersion: '7.1',
  },
  /**
   * Released at 7.1: AzurePipelinesCredential calls it with plain api-version=7.1 and succeeds
   * (@azure/identity azurePipelinesCredential.js, OIDC_API_VERSION).
   */
  oidcToken: {
    id: '69a319f4-28c1-4bfd-93e6-ea0ff5c6f1a2',
    area: 'distributedtask',
    resourceName: 'oidctoken',
    routeTemplate: '{scopeIdentifier}/_apis/{area}/hubs/{hubName}/plans/{planId}/jobs/{jobId}/{resource}',
    resourceVersion: 1,
    minVersion: '7.1',
    maxVersion: '7.2',
    releasedVersion: '7.1',
  },
  /** Security "Permissions - Has Permissions": evaluates the caller's own permissions on tokens. */
  permissions: {
    id: 'dd3b8bd6-c7fc-4cbd-929a-933d9c011c9d',
    area: 'Security',
    resourceName: 'Permissions',
    routeTemplate: '_apis/{resource}/{securityNamespaceId}/{permissions}',
    resourceVersion: 2,
    minVersion: '2.0',
    maxVersion: '7.2',
    releasedVersion: '7.1',
  },
  /** Build definitions (azure-devops-node-api BuildApi.getDefinitions: location dbeaf647, 7.2-preview.7). */
  buildDefinitions: {
    id: 'dbeaf647-6167-421a-bda9-c9327b25e2e6',
    area: 'build',
    resourceName: 'definitions',
    routeTemplate: '{project}/_apis/build/{resource}/{definitionId}',
    resourceVersion: 7,
    minVersion: '2.0',
    maxVersion: '7.2',
    releasedVersion: '7.1',
  },
  resourceAreas: {
    id: 'e81700f7-3be2-46de-8624-2eb35882fcaa',
    area: 'Location',
    resourceName: 'ResourceAreas',
    routeTemplate: '_apis/{resource}/{areaId}',
    resourceVersion: 1,
    minVersion: '3.2',
    maxVersion: '7.2',
    releasedVersion: '7.1',
  },
} satisfies Record<string, ApiResourceLocation>;

export function locationsOfArea(area: string): ApiResourceLocation[] {
  return Object.values(LOCATIONS).filter((l) => l.area.toLowerCase() === area.toLowerCase());
}

export interface VersionProblem {
  typeKey: string;
  typeName: string;
  message: string;
}

/** The api-version of a request: the Accept header's api-version parameter, else the query string. */
export function requestedApiVersion(request: EmulatorRequest): string | undefined {
  const accept = [request.headers.accept ?? ''].flat().join(',');
  const fromAccept = /api-version=([^;,\s]+)/i.exec(accept)?.[1];
  return fromAccept ?? request.query.get('api-version') ?? undefined;
}

export function checkApiVersion(request: EmulatorRequest, location: ApiResourceLocation): VersionProblem | undefined {
  const requested = requestedApiVersion(request);
  if (!requested) {
    if (request.method === 'GET') return undefined;
    return {
      typeKey: 'VssVersionNotSpecifiedException',
      typeName: 'Microsoft.VisualStudio.Services.WebApi.VssVersionNotSpecifiedException, Microsoft.VisualStudio.Services.WebApi',
      message: `No api-version was supplied for the ${request.method} request. An api-version must be supplied for any non-GET request. For example: ${location.releasedVersion}`,
    };
  }
  const parsed = /^(\d+\.\d+)(-preview(\.(\d+))?)?$/.exec(requested);
  if (!parsed) {
    return {
      typeKey: 'VssInvalidApiVersionException',
      typeName: 'Microsoft.VisualStudio.Services.WebApi.VssInvalidApiVersionException, Microsoft.VisualStudio.Services.WebApi',
      message: `The api-version '${requested}' is not in a valid format.`,
    };
  }
  const version = Number(parsed[1]);
  const preview = parsed[2] !== undefined;
  if (version > Number(location.maxVersion)) {
    return {
      typeKey: 'VssVersionOutOfRangeException',
      typeName: 'Microsoft.VisualStudio.Services.WebApi.VssVersionOutOfRangeException, Microsoft.VisualStudio.Services.WebApi',
      message: `The requested REST API version of ${parsed[1]} is out of range for this server. The latest REST API version this server supports is ${location.maxVersion}.`,
    };
  }
  if (version < Number(location.minVersion)) {
    return {
      typeKey: 'VssVersionOutOfRangeException',
      typeName: 'Microsoft.VisualStudio.Services.WebApi.VssVersionOutOfRangeException, Microsoft.VisualStudio.Services.WebApi',
      message: `The requested REST API version of ${parsed[1]} is out of range for this resource. The earliest REST API version this resource supports is ${location.minVersion}.`,
    };
  }
  if (version > Number(location.releasedVersion) && !preview) {
    return {
      typeKey: 'VssInvalidPreviewVersionException',
      typeName: 'Microsoft.VisualStudio.Services.WebApi.VssInvalidPreviewVersionException, Microsoft.VisualStudio.Services.WebApi',
      message: `The requested version "${requested}" of the resource is under preview. The -preview flag must be supplied in the api-version for such requests. For example: "${parsed[1]}-preview"`,
    };
  }
  return undefined;
}
