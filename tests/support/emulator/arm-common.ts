/**
 * What ARM's resource providers share: the caller, the error envelope, api-version checks and the gate
 * (authorization and the "no route" answer) the front door in arm.ts lends them.
 */
import { jsonResponse, type EmulatorRequest, type EmulatorResponse } from './http';

export interface ArmCaller {
  objectId: string;
  appId: string;
}

export interface ArmGate {
  authorize(caller: ArmCaller, action: string, resourceId: string): EmulatorResponse | undefined;
  noRoute(request: EmulatorRequest): EmulatorResponse;
}

/** ARM's error envelope {"error":{"code","message"}} (common-types ErrorResponse). */
export function armError(status: number, code: string, message: string, headers: Record<string, string> = {}): EmulatorResponse {
  return jsonResponse(status, { error: { code, message } }, headers);
}

/** Answers 400 unless the request carries one of the supported api-versions (ARM checks it per provider). */
export function checkApiVersion(request: EmulatorRequest, supported: readonly string[], locations = 'westeurope'): EmulatorResponse | undefined {
  const version = request.query.get('api-version');
  if (!version) {
    return armError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
  }
  if (!supported.includes(version)) {
    return armError(
      400,
      'InvalidApiVersionParameter',
      `The api-version '${version}' is invalid. The supported versions are '${[...supported].reverse().join(',')}'. The supported locations are '${locations}'.`,
    );
  }
  return undefined;
}

export function resourceGroupNotFound(name: string): EmulatorResponse {
  return armError(404, 'ResourceGroupNotFound', `Resource group '${name}' could not be found.`);
}

export function isWithinScope(resourceId: string, scope: string): boolean {
  const target = resourceId.toLowerCase();
  const prefix = scope.toLowerCase().replace(/\/+$/, '');
  return prefix === '' || target === prefix || target.startsWith(`${prefix}/`);
}

/**
 * A list in pages of `pageSize` (the recorded behaviour's knob; unset: one page) with ARM's nextLink, an
 * absolute URL on the same host carrying a $skiptoken (tests/fixtures/recordings/arm-msi-fic-list.json is a
 * short list without nextLink; longer ARM lists page, e.g. Permissions - List For Resource Group's nextLink).
 */
export function armPage(request: EmulatorRequest, armUrl: string, pageSize: number | undefined, value: unknown[]): EmulatorResponse {
  const start = Number(request.query.get('$skiptoken') ?? '0') || 0;
  if (!pageSize || value.length - start <= pageSize) return jsonResponse(200, { value: value.slice(start) });
  const query = new URLSearchParams(request.query);
  query.set('$skiptoken', String(start + pageSize));
  const nextLink = `${armUrl.replace(/\/$/, '')}${request.pathname}?${query.toString()}`;
  return jsonResponse(200, { value: value.slice(start, start + pageSize), nextLink });
}
