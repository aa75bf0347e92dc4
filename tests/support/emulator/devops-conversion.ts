/**
 * Azure DevOps' conversions of an Azure Resource Manager connection (docs/wire.md, "Migration"):
 *
 * - `PUT …/serviceendpoint/endpoints/{id}?operation=ConvertAuthenticationScheme`, from a secret or certificate
 *   to workload identity federation and back within the revert deadline, as Azure DevOps Server 2022's
 *   PlatformServiceEndpointService does it (mjwrona/decompiled): the body must not change the connection, an
 *   operation in progress refuses, the caller needs Administrator in every project the connection is in, and
 *   the converted copy must authenticate (its identity must already trust the pair) or the answer is
 *   CannotUpgradeAuthorizationSchemeError;
 * - the web UI's Update that moves a connection from Azure DevOps' former issuer to Entra ID's: its request is
 *   not published, so it is a test-side operation here, refused (with the pair to add by hand) when the
 *   identity does not trust the new pair, as the UI falls back to its manual steps.
 *
 * Where the evidence is silent, `recorded.convertIssuedPair`, `recorded.convertFailureMarksConnection` and
 * `recorded.convertInProgressStatus` pick the answer.
 */
import { TOKEN_EXCHANGE_AUDIENCE } from './entra-directory';
import { usableFederatedCredentials } from './entra';
import { parseJsonBody, jsonResponse, type EmulatorRequest, type EmulatorResponse } from './http';
import { ADO_TYPES, adoError, projectRole, type DevOpsCaller } from './devops-common';
import { workloadIdentityParameters, workloadIdentitySubject, type StoredEndpoint } from './devops-records';
import type { ServiceEndpointsResource } from './devops-endpoints';
import { type EmulatorState } from './state';

/** registry CleanUpOldSecretsAfterUpgradeDelayInMinutes, default 10080 (PlatformServiceEndpointConstants). */
export const REVERT_WINDOW_MS = 10080 * 60_000;

/** Authorization parameters that belong to the secret and certificate forms (dropped by a conversion, kept for its revert). */
const SECRET_FORM_PARAMETERS = ['serviceprincipalkey', 'serviceprincipalcertificate', 'authenticationtype'];

/** What a connection had before its conversion (ServiceEndpointAuthorizationHelper.StoreAuthorizationSchemeInputsForRecovery). */
interface Recovery {
  scheme: string;
  parameters: Record<string, string | null>;
  secrets: Record<string, string>;
}

/** The web UI's Update: moved, or the manual fallback's values to hand to the identity's owner. */
export type IssuerUpdate = { moved: true } | { moved: false; issuer: string; subject: string; audience: string };

export class SchemeConversion {
  private readonly recovery = new Map<string, Recovery>();

  constructor(
    private readonly state: EmulatorState,
    private readonly endpoints: ServiceEndpointsResource,
  ) {}

  convert(request: EmulatorRequest, caller: DevOpsCaller, endpointId: string): EmulatorResponse {
    const stored = this.state.serviceEndpoints.get(endpointId.toLowerCase());
    if (!stored) return adoError(404, ADO_TYPES.endpointNotFound, `No service connection found with identifier ${endpointId}.`);
    let body: Record<string, unknown> | undefined;
    try {
      body = asObject(parseJsonBody(request));
    } catch {
      body = undefined;
    }
    if (!body) return adoError(400, ADO_TYPES.argumentNull, 'Value cannot be null.\r\nParameter name: endpoint');
    const references = Array.isArray(body.serviceEndpointProjectReferences) ? body.serviceEndpointProjectReferences.map(asObject) : [];
    if (typeof asObject(references[0]?.projectReference)?.id !== 'string') {
      return adoError(400, ADO_TYPES.argument, 'Project reference must be set in the updated endpoint.');
    }
    const denied = this.requireAdministratorEverywhere(caller, stored);
    if (denied) return denied;
    const changed = changedProperty(body, stored);
    if (changed) {
      return adoError(
        400,
        ADO_TYPES.argument,
        `Properties cannot be changed during service connection upgrade. Property ${changed} does not match current endpoint value. Set it to the original value or do not provide at all.`,
      );
    }
    const status = this.endpoints.present(stored).operationStatus;
    if (status?.state === 'InProgress' && status.statusMessage !== 'converting_scheme') {
      return adoError(
        this.state.settings.recorded.convertInProgressStatus ?? 400,
        ADO_TYPES.invalidOperation,
        `Cannot perform this operation since another operation is already in progress with current status '${status.statusMessage}'. Try again later.`,
      );
    }
    const from = stored.endpoint.authorization.scheme;
    const to = String(asObject(body.authorization)?.scheme);
    if (from === 'ServicePrincipal' && to === 'WorkloadIdentityFederation') return this.upgrade(stored);
    if (from === 'WorkloadIdentityFederation' && to === 'ServicePrincipal') return this.downgrade(stored);
    return adoError(
      400,
      ADO_TYPES.argument,
      `Converting endpoint type ${stored.endpoint.type} scheme from ${from} to ${to} is neither an upgrade or a downgrade and is not supported.`,
    );
  }

  /**
   * The web UI's Update on a connection still on Azure DevOps' former issuer: it moves to Entra ID's issuer and
   * subject when the identity already trusts them; otherwise nothing changes and the UI shows the values to add.
   */
  updateIssuer(endpointId: string): IssuerUpdate {
    const stored = this.state.serviceEndpoints.get(endpointId.toLowerCase());
    if (!stored || stored.endpoint.authorization.scheme !== 'WorkloadIdentityFederation') {
      throw new Error(`Emulator: no workload identity connection ${endpointId}`);
    }
    const pair = this.entraPair(stored);
    if (!this.trusts(stored, pair)) return { moved: false, ...pair, audience: TOKEN_EXCHANGE_AUDIENCE };
    Object.assign(stored.endpoint.authorization.parameters, workloadIdentityParameters(pair.issuer, pair.subject));
    return { moved: true };
  }

  private upgrade(stored: StoredEndpoint): EmulatorResponse {
    const tested = this.entraPair(stored);
    if (!this.trusts(stored, tested)) {
      // UpgradeAuthenticationScheme's finally writes the connection back with Failed/converting_scheme_failed.
      if (this.state.settings.recorded.convertFailureMarksConnection ?? true) {
        stored.finalState = 'Failed';
        stored.finalStatusMessage = 'converting_scheme_failed';
      }
      return adoError(
        400,
        ADO_TYPES.argument,
        'The authorization scheme could not be upgraded to WorkloadIdentityFederation because the service principal could not be configured automatically, and no valid configuration exists.',
      );
    }
    const { endpoint } = stored;
    const parameters = endpoint.authorization.parameters;
    this.recovery.set(endpoint.id, { scheme: endpoint.authorization.scheme, parameters: { ...parameters }, secrets: { ...stored.secrets } });
    for (const key of Object.keys(parameters)) if (SECRET_FORM_PARAMETERS.includes(key.toLowerCase())) delete parameters[key];
    stored.secrets = {};
    const issued = this.state.settings.recorded.convertIssuedPair === 'former' ? this.formerPair(stored) : { ...tested, type: 'EntraID' as const };
    Object.assign(parameters, workloadIdentityParameters(issued.issuer, issued.subject, issued.type));
    endpoint.authorization.scheme = 'WorkloadIdentityFederation';
    // DateTime.ToString("O"): seven fractional digits.
    endpoint.data.revertSchemeDeadline = new Date(this.state.now() + REVERT_WINDOW_MS).toISOString().replace('Z', '0000Z');
    stored.finalState = 'Ready';
    stored.finalStatusMessage = '';
    return jsonResponse(200, this.endpoints.present(stored));
  }

  private downgrade(stored: StoredEndpoint): EmulatorResponse {
    const { endpoint } = stored;
    const recovery = this.recovery.get(endpoint.id);
    const deadline = Date.parse(endpoint.data.revertSchemeDeadline ?? '');
    if (!recovery || !(this.state.now() < deadline)) {
      return adoError(
        400,
        'Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi.InvalidServiceEndpointRequestException, Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi',
        `Endpoint scheme could not be downgraded from ${endpoint.authorization.scheme} to ${recovery?.scheme ?? 'ServicePrincipal'} as no recovery data exist for this endpoint.`,
      );
    }
    endpoint.authorization = { scheme: recovery.scheme, parameters: { ...recovery.parameters } };
    stored.secrets = { ...recovery.secrets };
    delete endpoint.data.revertSchemeDeadline;
    this.recovery.delete(endpoint.id);
    return jsonResponse(200, this.endpoints.present(stored));
  }

  /** Entra ID's pair for the connection: the issuer of its tenant, the subject ending /sc/{organization id}/{connection id}. */
  private entraPair(stored: StoredEndpoint): { issuer: string; subject: string } {
    const tenantId = String(stored.endpoint.authorization.parameters.tenantid);
    return {
      issuer: this.state.entraIssuer(tenantId),
      subject: workloadIdentitySubject(tenantId, this.state.world.organization.id, stored.endpoint.id),
    };
  }

  /** Azure DevOps' former pair (OidcFederationClaims in Server 2022): its issuer and sc://{org}/{home project}/{name}. */
  private formerPair(stored: StoredEndpoint): { issuer: string; subject: string; type: 'AzureDevOps' } {
    const home = stored.endpoint.serviceEndpointProjectReferences[0];
    return {
      issuer: this.state.devopsIssuer(),
      subject: `sc://${this.state.world.organization.name}/${home?.projectReference.name ?? ''}/${home?.name ?? stored.endpoint.name}`,
      type: 'AzureDevOps',
    };
  }

  /** Whether the connection's identity trusts the pair now (TryAuthenticateWithServiceEndpoint); the Entra issuer refuses multitenant apps (AADSTS70052). */
  private trusts(stored: StoredEndpoint, pair: { issuer: string; subject: string }): boolean {
    const principal = this.state.findPrincipalByAppId(String(stored.endpoint.authorization.parameters.serviceprincipalid ?? ''));
    if (!principal) return false;
    const application = principal.applicationObjectId ? this.state.applications.get(principal.applicationObjectId.toLowerCase()) : undefined;
    if (application && application.resource.signInAudience !== 'AzureADMyOrg' && pair.issuer !== this.state.devopsIssuer()) return false;
    return usableFederatedCredentials(this.state, principal).some(
      (c) => c.issuer === pair.issuer && c.subject === pair.subject && c.audiences.includes(TOKEN_EXCHANGE_AUDIENCE),
    );
  }

  /** UpdateSecurityChecks: Administrator on the connection in every project it is in (its creator holds it). */
  private requireAdministratorEverywhere(caller: DevOpsCaller, stored: StoredEndpoint): EmulatorResponse | undefined {
    if (stored.creatorId === caller.identity.id) return undefined;
    const everywhere = stored.endpoint.serviceEndpointProjectReferences.every((r) => {
      const project = this.state.findProject(r.projectReference.id);
      return project !== undefined && projectRole(this.state, caller, project) === 'Administrator';
    });
    if (everywhere) return undefined;
    return adoError(
      403,
      ADO_TYPES.accessCheck,
      'You do not have permissions to perform this operation on the service connection. You need to be an Administrator on this service connection.',
    );
  }
}

/** ServiceEndpointValidator.AssertEndpointNotModified: the first property the body carries with another value, or undefined. */
function changedProperty(body: Record<string, unknown>, stored: StoredEndpoint): string | undefined {
  const { endpoint } = stored;
  for (const field of ['id', 'name', 'description', 'owner', 'url'] as const) {
    const sent = body[field];
    if (sent !== undefined && sent !== null && JSON.stringify(sent) !== JSON.stringify(endpoint[field])) return field;
  }
  const stillThere = new Set(endpoint.serviceEndpointProjectReferences.map((r) => r.projectReference.id.toLowerCase()));
  const references = Array.isArray(body.serviceEndpointProjectReferences) ? body.serviceEndpointProjectReferences.map(asObject) : [];
  if (references.some((r) => !stillThere.has(String(asObject(r?.projectReference)?.id).toLowerCase()))) return 'serviceendpointprojectreferences';
  const parameters = asObject(asObject(body.authorization)?.parameters) ?? {};
  for (const [key, value] of Object.entries(parameters)) {
    if (!(key in endpoint.authorization.parameters) || (value ?? null) !== (endpoint.authorization.parameters[key] ?? null)) {
      return `authorization.parameters['${key}']`.toLowerCase();
    }
  }
  const data = asObject(body.data) ?? {};
  for (const [key, value] of Object.entries(data)) {
    if (endpoint.data[key] === undefined || String(value) !== endpoint.data[key]) return `data['${key}']`.toLowerCase();
  }
  return undefined;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
