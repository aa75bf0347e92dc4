/**
 * A throwaway certificate authority and one server certificate (127.0.0.1, localhost and the sovereign
 * clouds' host names the emulator can pose as) for the emulator's HTTPS listeners. EC P-256 through Node's WebCrypto and @peculiar/x509.
 * Made once per process (every emulator of a test process shares it), so no other process trusts it.
 */
import './reflect-metadata';
import { createHash, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { SOVEREIGN_HOSTS } from './clouds';

export interface Pki {
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

const EC_P256: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

let processPki: Promise<Pki> | undefined;

/** The process's CA and server certificate, made on first use. */
export function createPki(): Promise<Pki> {
  processPki ??= makePki();
  // A failure is not cached: the next start tries again.
  processPki.catch(() => (processPki = undefined));
  return processPki;
}

async function makePki(): Promise<Pki> {
  const crypto = webcrypto;
  x509.cryptoProvider.set(crypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 7 * 24 * 3600_000);

  const caKeys = await crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: 'CN=Workload Identity Connection Emulator CA',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const serverKeys = await crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: 'CN=127.0.0.1',
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
        ...SOVEREIGN_HOSTS.map((value) => ({ type: 'dns' as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(serverKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', serverKeys.privateKey));
  return {
    caPem: ca.toString('pem'),
    serverCertPem: server.toString('pem'),
    serverKeyPem: pem('PRIVATE KEY', pkcs8),
  };
}

export interface ClientCertificate {
  /** The certificate and its private key in one PEM, as an Azure DevOps spnCertificate connection holds them. */
  pem: string;
  /** The DER certificate's SHA-1 and SHA-256 thumbprints, base64url, as a client assertion's x5t / x5t#S256 header. */
  x5t: string;
  x5tS256: string;
  publicKeyPem: string;
}

/**
 * A self-signed RSA certificate for an app registration's certificate credential. Entra ID accepts RSA
 * keys only for client assertions (https://learn.microsoft.com/entra/identity-platform/certificate-credentials).
 */
export async function createClientCertificate(subject: string): Promise<ClientCertificate> {
  const crypto = webcrypto;
  x509.cryptoProvider.set(crypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const algorithm: webcrypto.RsaHashedKeyGenParams = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const keys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${subject}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 365 * 24 * 3600_000),
    keys,
    signingAlgorithm: algorithm,
  });
  const der = Buffer.from(certificate.rawData);
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  const spki = Buffer.from(await crypto.subtle.exportKey('spki', keys.publicKey));
  return {
    pem: `${certificate.toString('pem')}\n${pem('PRIVATE KEY', pkcs8)}`,
    x5t: createHash('sha1').update(der).digest('base64url'),
    x5tS256: createHash('sha256').update(der).digest('base64url'),
    publicKeyPem: pem('PUBLIC KEY', spki),
  };
}

function pem(label: string, der: Buffer): string {
  return `-----BEGIN ${label}-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd()}\n-----END ${label}-----\n`;
}

function randomSerial(): string {
  // A positive 16-byte serial: clear the top bit so DER does not read it as negative.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f;
  return Buffer.from(bytes).toString('hex');
}
