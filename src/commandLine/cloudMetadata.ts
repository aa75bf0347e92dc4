/**
 * The command line's --resource-manager-url: the cloud's description, read from Azure Resource Manager.
 */
import { createPipelineRequest } from '@azure/core-rest-pipeline';
import { parseJson, sender } from '../clients/http';
import type { Clock } from '../clock';
import { ServiceError } from '../errors';
import { agentNetwork, type AgentNetworkSettings } from '../network';
import { TRANSIENT, waitFor } from '../retry';
import { retryDelay, toTaskError } from '../sdkErrors';

/** The metadata endpoint's api-version the Azure CLI asks for (one object, not 2019-05-01's list of clouds). */
const CLOUD_METADATA_API = '2022-09-01';

/**
 * ARM's description of its cloud (`{arm}/metadata/endpoints?api-version=2022-09-01`), which the Azure CLI
 * reads for `az cloud register --endpoint-resource-manager`: the command line's --resource-manager-url.
 * Anonymous, like the Azure CLI's request. Transient failures are retried like every other call.
 */
export async function readCloudMetadata(resourceManagerUrl: string, settings: AgentNetworkSettings, clock: Clock): Promise<unknown> {
  const send = sender(agentNetwork(settings));
  const url = new URL('metadata/endpoints', resourceManagerUrl);
  url.searchParams.set('api-version', CLOUD_METADATA_API);
  const operation = `read the cloud's endpoints from ${url.origin}${url.pathname}`;
  const fetchOnce = async (): Promise<unknown> => {
    const response = await send(createPipelineRequest({ url: url.toString(), method: 'GET' })).catch((error: unknown) =>
      Promise.reject(toTaskError('arm', operation, error, clock)),
    );
    const body = parseJson(response.bodyAsText);
    if (response.status !== 200 || !body) {
      throw new ServiceError(`Azure Resource Manager answered HTTP ${response.status} without endpoint metadata`, {
        operation,
        status: response.status,
        hint: 'Check --resource-manager-url: it must be the Azure Resource Manager URL of an Azure cloud, e.g. https://management.azure.com/',
      });
    }
    return body;
  };
  return waitFor(clock, 'Azure Resource Manager', fetchOnce, retryDelay, TRANSIENT);
}
