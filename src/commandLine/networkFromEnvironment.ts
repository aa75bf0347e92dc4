/** The command line's proxy: read from the environment as the Azure SDKs and the Azure CLI read it. */
import type { RawTask } from '../rawTask';
import { UsageError } from './flags';

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'] as const;

/**
 * The proxy from the environment, as the Azure SDKs and the Azure CLI read it: HTTPS_PROXY (or HTTP_PROXY),
 * and NO_PROXY host names (a leading dot or none: the host and its subdomains), as the task's bypass patterns.
 */
export function networkFromEnvironment(env: NodeJS.ProcessEnv): RawTask['network'] {
  const variable = PROXY_VARIABLES.find((name) => env[name]);
  const proxyUrl = variable ? env[variable] : undefined;
  const bypass = (env.NO_PROXY || env.no_proxy || '')
    .split(',')
    .map((host) => host.trim().replace(/^\*?\./, ''))
    .filter(Boolean)
    .map((host) => (host === '*' ? '.*' : `^https?://([^/@]*\\.)?${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(:\\d+)?(/|$)`));
  if (!variable || !proxyUrl) return {};
  const url = proxyUrlOf(variable, proxyUrl);
  return {
    proxyUrl: `${url.protocol}//${url.host}`,
    proxyUsername: decodeURIComponent(url.username) || undefined,
    proxyPassword: decodeURIComponent(url.password) || undefined,
    proxyBypassHosts: bypass,
  };
}

/**
 * The proxy's URL, or a usage error naming the variable: a value without its scheme (`proxy.local:3128`)
 * parses as a URL of the scheme `proxy.local:` with no host, and the requests then went to port 80 of
 * nothing, failing 30 s later with ECONNREFUSED and no word of the variable. Its credentials are not shown.
 */
function proxyUrlOf(variable: string, value: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname) return url;
  const shown = value.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^@/]*@/i, '$1***@');
  throw new UsageError(
    `${variable} '${shown}' is not a proxy URL; write it as http://host:port (with credentials http://user:password@host:port), or unset it.`,
  );
}
