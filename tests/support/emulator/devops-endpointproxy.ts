/**
 * The service endpoint proxy's TestConnection for AzureRM workload identity connections: what the web UI's
 * "Verify" and Terraform's `validate` ask (docs/wire.md, "Verification";
 * tests/fixtures/contracts/ado-serviceendpoint-7.2/serviceEndpoint.json "Endpointproxy_Execute Service
 * Endpoint Request", location cc63bb57, 7.2-preview.1).
 *
 * It does what Azure DevOps does, against the emulated services themselves: an OIDC token for the connection
 * with the issuer and subject the connection reports, the client_credentials exchange at the emulated Entra
 * ID (which honours a federated credential only once it has propagated, federatedCredentialPropagationMs,
 * and answers AADSTS70021 / 700213 before that), then the ARM read of the connection's scope with the
 * resulting token (which honours a new role assignment only after roleAssignmentPropagationMs). Whatever the
 * outcome the answer is HTTP 200 with statusCode (an HttpStatusCode name, or its number when the Accept
 * header asks enumsAsNumbers=true, as Azure DevOps' own web clients do), result and errorMessage; the
 * failure texts are the ones users quote from the service ("Failed to obtain the Json Web Token(JWT) using
 * service principal client ID. Exception message: AADSTS…", "Failed to query service connection API: '…'.
 * Status Code: 'Forbidden', Response from server: '…'").
 *
 * Which ARM read TestConnection makes is the emulator's reading of the AzureRM endpoint type (uncertain): the
 * subscription (GET /subscriptions/{id}), the management group for scopeLevel ManagementGroup, and the
 * resource group for a connection scoped to one (authorization parameter `scope`), so that a grant only on
 * that group verifies.
 */
import { randomUUID } from 'node:crypto';
import { header, jsonResponse, parseJsonBody, type EmulatorRequest, type EmulatorResponse, type Handler } from './http';
import { ADO_TYPES, ENDPOINT_BITS, adoError, endpointPermissions, type DevOpsCaller } from './devops-common';
import { epochSeconds } from './jwt';
import { TOKEN_EXCHANGE_AUDIENCE } from './entra-directory';
import { type EmulatorState } from './state';
import { type ProjectRecord } from './devops-records';

/** The services Azure DevOps calls on the connection's behalf. */
export interface ProxyPeers {
  login: Handler;
  arm: Handler;
}

/** HttpStatusCode names and numbers (System.Net.HttpStatusCode, camel-cased as Azure DevOps serialises enums). */
const STATUS_NAMES: Record<number, string> = {
  200: 'ok',
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'notFound',
  429: 'tooManyRequests',
  500: 'internalServerError',
  503: 'serviceUnavailable',
};

export class EndpointProxy {
  constructor(
    private readonly state: EmulatorState,
    private readonly peers: ProxyPeers,
  ) {}

  async execute(request: EmulatorRequest, caller: DevOpsCaller, project: ProjectRecord): Promise<EmulatorResponse> {
    const endpointId = request.query.get('endpointId');
    if (!endpointId) return adoError(400, ADO_TYPES.argumentNull, 'Value cannot be null.\r\nParameter name: endpointId');
    let body: Record<string, unknown> | undefined;
    try {
      const parsed = parseJsonBody(request);
      body = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
    } catch {
      body = undefined;
    }
    if (!body) return adoError(400, ADO_TYPES.argumentNull, 'Value cannot be null.\r\nParameter name: serviceEndpointRequest');
    const details = body.dataSourceDetails as Record<string, unknown> | undefined;
    const dataSource = typeof details?.dataSourceName === 'string' ? details.dataSourceName : '';
    const stored = this.state.serviceEndpoints.get(endpointId.toLowerCase());
    if (!stored || !stored.endpoint.serviceEndpointProjectReferences.some((r) => r.projectReference.id === project.id)) {
      return adoError(404, ADO_TYPES.endpointNotFound, `Service connection with id ${endpointId} not found.`);
    }
    // Using a connection needs the Use permission (the User role) on it: the security model of
    // https://learn.microsoft.com/azure/devops/pipelines/library/service-endpoints ("Manage security"). The
    // wording of the refusal is the emulator's (uncertain).
    const bits = endpointPermissions(this.state, caller, `endpoints/${project.id}/${stored.endpoint.id}`);
    if ((bits & ENDPOINT_BITS.use) === 0) {
      return adoError(
        403,
        ADO_TYPES.accessCheck,
        `You do not have permission to use the service connection '${stored.endpoint.name}'. You need to be a User for this service connection.`,
      );
    }
    if (dataSource.toLowerCase() !== 'testconnection') {
      return adoError(400, ADO_TYPES.argument, `The emulator serves only the data source 'TestConnection', not '${dataSource}'.`);
    }
    const numbers = /enumsAsNumbers=true/i.test(header(request, 'accept') ?? '');
    const answer = (status: number, result: unknown, errorMessage: string | null): EmulatorResponse =>
      jsonResponse(200, {
        activityId: randomUUID(),
        callbackContextParameters: null,
        callbackRequired: false,
        errorMessage,
        result,
        statusCode: numbers ? status : (STATUS_NAMES[status] ?? String(status)),
      });

    const { parameters, scheme } = stored.endpoint.authorization;
    if (scheme !== 'WorkloadIdentityFederation' || !parameters.workloadIdentityFederationSubject) {
      return answer(400, null, `The emulator verifies only workload identity federation connections, not scheme '${scheme}'.`);
    }
    // 1. The connection's OIDC token, with the issuer and subject it reports.
    const issuedAt = epochSeconds();
    const oidcToken = this.state.devopsKey.sign({
      iss: String(parameters.workloadIdentityFederationIssuer),
      sub: parameters.workloadIdentityFederationSubject,
      aud: TOKEN_EXCHANGE_AUDIENCE,
      iat: issuedAt,
      nbf: issuedAt,
      exp: issuedAt + 600,
      jti: randomUUID(),
    });
    this.state.noteSecret(oidcToken);

    // 2. The exchange at Entra ID, for ARM.
    const tenantId = String(parameters.tenantid ?? '');
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: String(parameters.serviceprincipalid ?? ''),
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: oidcToken,
      scope: `${this.state.cloud.armAudience}/.default`,
    });
    const tokenResponse = await this.peers.login(
      internalRequest('POST', `/${tenantId}/oauth2/v2.0/token`, form.toString(), 'application/x-www-form-urlencoded'),
    );
    const tokenBody = (tokenResponse.body ?? {}) as { access_token?: string; error_description?: string };
    if (tokenResponse.status !== 200 || !tokenBody.access_token) {
      return answer(
        400,
        null,
        `Failed to obtain the Json Web Token(JWT) using service principal client ID. Exception message: ${tokenBody.error_description ?? `HTTP ${tokenResponse.status}`}`,
      );
    }
    this.state.noteSecret(tokenBody.access_token);

    // 3. The ARM read of the connection's scope with that token.
    const data = stored.endpoint.data;
    const path =
      data.scopeLevel?.toLowerCase() === 'managementgroup'
        ? `/providers/Microsoft.Management/managementGroups/${data.managementGroupId}?api-version=2020-05-01`
        : parameters.scope
          ? `${parameters.scope}?api-version=2016-06-01`
          : `/subscriptions/${data.subscriptionId}?api-version=2016-06-01`;
    const armResponse = await this.peers.arm(internalRequest('GET', path, '', undefined, tokenBody.access_token));
    const url = `${stored.endpoint.url.replace(/\/$/, '')}${path}`;
    if (armResponse.status !== 200) {
      const statusName = STATUS_NAMES[armResponse.status] ?? String(armResponse.status);
      const name = statusName[0].toUpperCase() + statusName.slice(1);
      return answer(
        armResponse.status,
        null,
        `Failed to query service connection API: '${url}'. Status Code: '${name}', Response from server: '${JSON.stringify(armResponse.body ?? '')}'`,
      );
    }
    const read = (armResponse.body ?? {}) as { displayName?: string; name?: string; id?: string };
    return answer(200, [read.displayName ?? read.name ?? read.id ?? ''], null);
  }
}

function internalRequest(method: string, rawPath: string, body: string, contentType?: string, bearer?: string): EmulatorRequest {
  const url = new URL(rawPath, 'https://emulator.invalid');
  return {
    method,
    pathname: url.pathname,
    rawPath,
    query: url.searchParams,
    headers: {
      ...(contentType ? { 'content-type': contentType } : {}),
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
    body: Buffer.from(body),
  };
}
