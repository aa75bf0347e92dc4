/**
 * Who may do what in the emulated Graph: the token checks (signature, audience, tenant, lifetime; 401
 * InvalidAuthenticationToken), the app-only permissions of the caller's `roles` (403
 * Authorization_RequestDenied), and the replication window that hides a new object from other requests.
 */
import { graphResources } from './entra';
import type { GraphPermission } from './entra-directory';
import { GraphAnswers, Refusal } from './graph-answers';
import { header, type EmulatorRequest } from './http';
import { decodeJwt, epochSeconds, timeProblem } from './jwt';
import type { EmulatorState } from './state';

const READERS: readonly GraphPermission[] = ['Application.Read.All', 'Application.ReadWrite.All', 'Application.ReadWrite.OwnedBy', 'Directory.Read.All'];

export interface GraphCaller {
  objectId: string;
  appId: string;
  roles: string[];
}

export class GraphAccess {
  constructor(
    private readonly state: EmulatorState,
    private readonly answers: GraphAnswers,
  ) {}

  /** Graph's token checks and their answers: 401 InvalidAuthenticationToken with a WWW-Authenticate challenge. */
  authenticate(request: EmulatorRequest): GraphCaller {
    const refuse = (message: string): Refusal =>
      new Refusal(
        this.answers.error(request, 401, 'InvalidAuthenticationToken', message, undefined, {
          'WWW-Authenticate': `Bearer realm="", authorization_uri="${this.state.urls.login}common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
        }),
      );
    const authorization = header(request, 'authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw refuse('Access token is empty.');
    this.state.noteSecret(match[1]);
    const token = decodeJwt(match[1]);
    if (!token || !this.state.entraKey.verifies(token)) throw refuse('Access token validation failure.');
    const audience = typeof token.payload.aud === 'string' ? token.payload.aud : '';
    if (!graphResources(this.state).includes(audience)) throw refuse('Access token validation failure. Invalid audience.');
    if (token.payload.iss !== `https://sts.windows.net/${this.state.world.tenantId}/`) throw refuse('Access token validation failure. Invalid issuer.');
    if (timeProblem(token.payload, epochSeconds(this.state.now()), 300) === 'expired') throw refuse('Lifetime validation failed, the token is expired.');
    const roles = Array.isArray(token.payload.roles) ? token.payload.roles.map(String) : [];
    const text = (value: unknown): string => (typeof value === 'string' ? value : '');
    return { objectId: text(token.payload.oid), appId: text(token.payload.appid), roles };
  }

  has(caller: GraphCaller, permission: GraphPermission): boolean {
    return caller.roles.includes(permission);
  }

  denied(request: EmulatorRequest): Refusal {
    return new Refusal(this.answers.error(request, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'));
  }

  mayRead(request: EmulatorRequest, caller: GraphCaller): void {
    if (!READERS.some((p) => this.has(caller, p))) throw this.denied(request);
  }

  mayCreate(request: EmulatorRequest, caller: GraphCaller): void {
    if (!this.has(caller, 'Application.ReadWrite.All') && !this.has(caller, 'Application.ReadWrite.OwnedBy')) throw this.denied(request);
  }

  /** ReadWrite.All writes anything; OwnedBy only what it owns (directly, or the application behind a principal). */
  mayWrite(request: EmulatorRequest, caller: GraphCaller, owners: string[], applicationOwners: string[] = []): void {
    if (this.has(caller, 'Application.ReadWrite.All')) return;
    const owns = owners.includes(caller.objectId) || applicationOwners.includes(caller.objectId);
    if (!this.has(caller, 'Application.ReadWrite.OwnedBy') || !owns) throw this.denied(request);
  }

  visible(stored: { createdAt: number }): boolean {
    return this.state.now() >= stored.createdAt + this.state.settings.graphReplicationMs;
  }

  visibleOr404<T extends { createdAt: number }>(request: EmulatorRequest, stored: T | undefined, key: string): T {
    if (!stored || !this.visible(stored)) throw this.answers.notFound(request, key);
    return stored;
  }
}
