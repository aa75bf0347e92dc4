/**
 * Minimal RS256 JSON Web Tokens with Node's crypto: enough to issue Entra access tokens, Azure DevOps job
 * tokens and pipeline OIDC tokens, and to check them the way the real services do (signature first,
 * then the time window).
 */
import { createHash, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

export type JwtClaims = Record<string, unknown>;

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: JwtClaims;
  signingInput: string;
  signature: Buffer;
}

/** An RSA key that signs RS256 tokens and publishes itself as a JWK. */
export class JwtSigningKey {
  readonly kid: string;
  private readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    // Entra uses the base64url SHA-1 thumbprint of the signing certificate as kid/x5t; a key thumbprint
    // is the closest stand-in without a certificate.
    this.kid = createHash('sha1')
      .update(publicKey.export({ type: 'spki', format: 'der' }))
      .digest('base64url');
  }

  /**
   * One key per purpose for the whole process: generating an RSA-2048 key costs ~190 ms, and every emulator
   * started in a test process signs with the same pair (its tokens carry its own issuer and audiences, which
   * is what the services check besides the signature).
   */
  static shared(purpose: 'entra' | 'devops'): JwtSigningKey {
    let key = sharedKeys.get(purpose);
    if (!key) sharedKeys.set(purpose, (key = new JwtSigningKey()));
    return key;
  }

  sign(payload: JwtClaims): string {
    const header = { typ: 'JWT', alg: 'RS256', kid: this.kid, x5t: this.kid };
    const signingInput = `${base64UrlJson(header)}.${base64UrlJson(payload)}`;
    const signature = sign('sha256', Buffer.from(signingInput), this.privateKey);
    return `${signingInput}.${signature.toString('base64url')}`;
  }

  jwk(): Record<string, unknown> {
    return { ...this.publicKey.export({ format: 'jwk' }), kty: 'RSA', use: 'sig', kid: this.kid, x5t: this.kid, alg: 'RS256' };
  }

  verifies(token: DecodedJwt): boolean {
    if (token.header.alg !== 'RS256') return false;
    return verify('sha256', Buffer.from(token.signingInput), this.publicKey, token.signature);
  }
}

const sharedKeys = new Map<string, JwtSigningKey>();

export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as unknown;
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    if (!isObject(header) || !isObject(payload)) return undefined;
    return { header, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], 'base64url') };
  } catch {
    return undefined;
  }
}

export type TimeProblem = 'expired' | 'notYetValid' | undefined;

/** Checks exp/nbf against the clock with the five-minute skew Entra and ARM tolerate. */
export function timeProblem(payload: JwtClaims, nowSeconds: number, skewSeconds = 300): TimeProblem {
  const exp = typeof payload.exp === 'number' ? payload.exp : undefined;
  const nbf = typeof payload.nbf === 'number' ? payload.nbf : undefined;
  if (exp === undefined || exp + skewSeconds < nowSeconds) return 'expired';
  if (nbf !== undefined && nbf - skewSeconds > nowSeconds) return 'notYetValid';
  return undefined;
}

export function epochSeconds(ms = Date.now()): number {
  return Math.floor(ms / 1000);
}

function base64UrlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
