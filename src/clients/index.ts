/**
 * Every client the task uses, composed in one place from the cloud description of the bootstrap connection,
 * the organization URL and the agent's network (proxy, CAs). Only src/clients/ knows a host, a token or a
 * proxy: a resource module hands its service's client a path, an api-version and a body.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { Client as GraphClient } from '@microsoft/microsoft-graph-client';
import type { Clock } from '../clock';
import { agentNetwork } from '../network';
import type { AccessRequest } from '../requestAccess';
import { armClients, loadSdk, type AzureClients } from './arm';
import { bootstrapCredential, devopsAuthorization, SharedCredential } from './credentials';
import { devopsRest, type DevOpsRest } from './devops';
import { graphClient, rolesOf } from './graph';
import { graphScope } from '../cloud';
import { sender } from './http';
import { pipelineOidcToken } from './pipelineOidcToken';

export interface Clients {
  /**
   * The ARM clients, built on first use: @azure/identity (with MSAL) and the ARM SDKs are most of the
   * task's code, and loading them waits until the first requests are on their way.
   */
  azure(): Promise<AzureClients>;
  /** Azure DevOps REST with the credential of devOpsAuth. */
  devops: DevOpsRest;
  /**
   * Microsoft Graph v1.0 for the app-registration variant, built on first use: the managed-identity path
   * never loads the Graph client. Resolves once a Graph token is in hand, so a sign-in failure surfaces
   * here as an Entra error rather than inside the Graph client's wrapping.
   */
  graph(): Promise<GraphClient>;
  /**
   * The Microsoft Graph application permissions of the bootstrap identity: its Graph token's `roles` claim
   * (Microsoft identity platform access tokens); undefined when no token or no readable claim is at hand.
   */
  graphPermissions(): Promise<string[] | undefined>;
  /** What every wait and bound of the run is measured with. */
  clock: Clock;
}

/**
 * `register` is called with every secret the clients obtain (OIDC tokens, access tokens). Asynchronous
 * only to sign in to Azure DevOps as the bootstrap identity: its calls carry a token, not a credential.
 */
export function createClients(request: AccessRequest, register: (secret: string) => void, clock: Clock): Clients {
  // Every client below goes through the agent's proxy and trusts its CAs. Microsoft Graph's client sends
  // with fetch, which ignores proxies: it is built over `network.send`.
  const network = agentNetwork(request.network);
  const send = sender(network);
  const { auth, endpointId } = request.bootstrap;
  // A federated sign-in starts with the pipeline's OIDC token: ask for it at once, so that its round trip
  // overlaps the loading of the Entra and ARM code that will exchange it.
  const assertion =
    auth.scheme === 'WorkloadIdentityFederation'
      ? pipelineOidcToken(auth.oidcRequestUri, endpointId, request.devops.accessToken, send, register, clock)
      : undefined;
  assertion?.get().catch(() => undefined);
  let azure: Promise<{ credential: TokenCredential; clients: AzureClients }> | undefined;
  const loadedAzure = () =>
    (azure ??= loadSdk().then((sdk) => {
      const credential = new SharedCredential(() => bootstrapCredential(sdk, request, network, assertion), register, clock);
      return { credential, clients: armClients(sdk, request, credential, network) };
    }));
  // Asked at every request: a bootstrap identity's token comes from SharedCredential, fresh while it is.
  const devopsAuth = () => devopsAuthorization(request, async () => (await loadedAzure()).credential);
  let graph: Promise<GraphClient> | undefined;
  return {
    azure: async () => (await loadedAzure()).clients,
    devops: devopsRest(request.devops.organizationUrl, devopsAuth, send),
    graph: () => (graph ??= loadedAzure().then(({ credential }) => graphClient(request, credential, network))),
    graphPermissions: async () => {
      const { credential } = await loadedAzure();
      return rolesOf((await credential.getToken(graphScope(request.bootstrap.cloud)).catch(() => null))?.token);
    },
    clock,
  };
}
