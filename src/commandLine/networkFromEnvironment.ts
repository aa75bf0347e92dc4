/** The command line's proxy: read from the environment as the Azure SDKs and the Azure CLI read it. */
import type { RawTask } from '../rawTask';

/**
 * The proxy from the environment, as the Azure SDKs and the Azure CLI read it: HTTPS_PROXY (or HTTP_PROXY),
 * and NO_PROXY host names (a leading dot or none: the host and its subdomains), as the task's bypass patterns.
 */
export function networkFromEnvironment(env: NodeJS.ProcessEnv): RawTask['network'] {
  const proxyUrl = env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy || undefined;
  const bypass = (env.NO_PROXY || env.no_proxy || '')
    .split(',')
    .map((host) => host.trim().replace(/^\*?\./, ''))
    .filter(Boolean)
    .map((host) => (host === '*' ? '.*' : `^https?://([^/@]*\\.)?${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(:\\d+)?(/|$)`));
  if (!proxyUrl) return {};
  const url = new URL(proxyUrl);
  return {
    proxyUrl: `${url.protocol}//${url.host}`,
    proxyUsername: decodeURIComponent(url.username) || undefined,
    proxyPassword: decodeURIComponent(url.password) || undefined,
    proxyBypassHosts: bypass,
  };
}
