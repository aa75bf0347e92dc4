/**
 * The task's raw values, as the pipeline agent hands them over (src/taskInputs.ts reads them through the
 * agent port) or as the command line makes them from its flags and the machine (src/commandLine/). Nothing
 * here is judged yet: src/request.ts turns a RawTask into the typed, validated request.
 */
import type { InputName } from './inputNames';

export interface RawTask {
  inputs: Partial<Record<InputName, string>>;
  bootstrap: {
    id: string;
    url?: string;
    scheme?: string;
    parameters: Record<string, string | undefined>;
    data: Record<string, string | undefined>;
  };
  /** The job's Azure DevOps access token (endpoint SYSTEMVSSCONNECTION). */
  accessToken?: string;
  /** System.OidcRequestUri: where the job asks Azure DevOps for a pipeline OIDC token. */
  oidcRequestUri?: string;
  /** The variable devOpsTokenVariable names: its value, and whether the agent handed it over as a secret. */
  devOpsTokenVariable?: { value?: string; secret: boolean };
  /** The agent's proxy (tl.getHttpProxyConfiguration) and CA file (tl.getHttpCertConfiguration). */
  network?: { proxyUrl?: string; proxyUsername?: string; proxyPassword?: string; proxyBypassHosts?: string[]; caFile?: string };
}
