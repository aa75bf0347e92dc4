/**
 * One TLS secure context per set of trusted CAs, for the whole test process.
 *
 * The task trusts Agent.CAInfo by giving its connection agents `ca`: Node's default roots plus the agent's
 * file (src/network.ts). Node then builds a secure context from those ~140 certificates for every new
 * connection (tls.connect calls tls.createSecureContext(options) each time), some 20 ms of CPU each: most
 * of an in-process run's time. A context depends only on its options, so contexts made from the same
 * certificates and settings are shared here; what is trusted, and every check TLS makes, is unchanged.
 */
// The module object itself (a namespace import would be a copy): its createSecureContext is what tls.connect calls.
import tls from 'node:tls';

/** Options that make a context differ beyond `ca`; any of the others (a client certificate…) skips the cache. */
const KEYED = ['ca', 'minVersion', 'maxVersion', 'ciphers', 'secureProtocol', 'secureOptions', 'ecdhCurve', 'sigalgs', 'honorCipherOrder'];
const IGNORED = [
  'host',
  'hostname',
  'port',
  'servername',
  'path',
  'socket',
  'session',
  'agent',
  'headers',
  'method',
  'protocol',
  'timeout',
  'keepAlive',
  'keepAliveMsecs',
  'maxSockets',
  'maxFreeSockets',
  'maxTotalSockets',
  'scheduling',
  'noDelay',
  'family',
  'localAddress',
  'lookup',
  'ALPNProtocols',
  'rejectUnauthorized',
  'checkServerIdentity',
  'requestCert',
  'highWaterMark',
  'encoding',
  'signal',
  'setHost',
  'defaultPort',
  'href',
  'search',
  'pathname',
  'hash',
  'auth',
  'origin',
  'username',
  'password',
  'searchParams',
  'insecureHTTPParser',
  'joinDuplicateHeaders',
  'uniqueHeaders',
  'createConnection',
  'timeoutMs',
  'allowHalfOpen',
  '_defaultAgent',
  'agentKey',
  'lookupHostname',
  'autoSelectFamily',
  'autoSelectFamilyAttemptTimeout',
  'singleUse',
  'servernameOverride',
  'secureEndpoint',
  'keepAliveInitialDelay',
  'pipelining',
  'maxCachedSessions',
  'proxyEnv',
  'proxy',
  'minDHSize',
  '_agentKey',
];

let installed = false;

export function shareSecureContexts(): void {
  if (installed) return;
  installed = true;
  const original = tls.createSecureContext;
  const byCertificates = new Map<string, tls.SecureContext>();
  const keyOf = new WeakMap<object, string>();
  (tls as { createSecureContext: typeof tls.createSecureContext }).createSecureContext = (options?: tls.SecureContextOptions) => {
    const record = (options ?? {}) as Record<string, unknown>;
    const ca = record.ca;
    const plain = Object.keys(record).every((key) => record[key] === undefined || KEYED.includes(key) || IGNORED.includes(key));
    if (!(Array.isArray(ca) || typeof ca === 'string') || !plain) return original(options);
    let certificates = typeof ca === 'string' ? ca : keyOf.get(ca);
    if (certificates === undefined) keyOf.set(ca as unknown[], (certificates = (ca as unknown[]).map(String).join('\n')));
    const key = JSON.stringify(KEYED.slice(1).map((name) => record[name] ?? null)) + certificates;
    let context = byCertificates.get(key);
    if (!context) byCertificates.set(key, (context = original(options)));
    return context;
  };
}
