/**
 * A stand-in for the Azure CLI on the person's machine, as the CLI tests put it on PATH (`az`, a shell
 * script that runs this file): it answers the two commands the command line and @azure/identity's
 * AzureCliCredential run, from the emulator, as a signed-in `az` answers them.
 *
 * - `az account get-access-token --output json --resource R [--tenant T]`: a token for R, fetched from the
 *   emulated Entra ID as the signed-in account (here the bootstrap application, by its client secret),
 *   printed as the Azure CLI prints it (accessToken, expiresOn, expires_on, subscription, tenant, tokenType).
 * - `az account show --output json`: the current subscription (id, name, tenantId, user, environmentName).
 *
 * Anything else fails as the Azure CLI does with an unknown command (exit code 2). WIC_AZ_STANDIN names a
 * JSON file with the emulator's facts; WIC_AZ_STANDIN_LOG, when set, gets one line per command run.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { httpsRequest } from '../support/emulator/client';

export interface AzStandInConfig {
  /** The emulated Entra ID's token endpoint base (authority with a trailing slash). */
  login: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  subscriptionId: string;
  subscriptionName: string;
  caFile: string;
  /** Not signed in: every command fails as `az` does before `az login`. */
  signedOut?: boolean;
}

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1]?.replace(/^"|"$/g, '') : undefined;
}

async function main(args: string[]): Promise<number> {
  const config = JSON.parse(readFileSync(process.env.WIC_AZ_STANDIN ?? '', 'utf8')) as AzStandInConfig;
  if (process.env.WIC_AZ_STANDIN_LOG) appendFileSync(process.env.WIC_AZ_STANDIN_LOG, `${args.join(' ')}\n`);
  if (config.signedOut) {
    process.stderr.write("ERROR: Please run 'az login' to setup account.\n");
    return 1;
  }
  const command = args.slice(0, 2).join(' ');
  if (command === 'account show') {
    process.stdout.write(
      JSON.stringify({
        environmentName: 'AzureCloud',
        id: config.subscriptionId,
        isDefault: true,
        name: config.subscriptionName,
        state: 'Enabled',
        tenantId: config.tenantId,
        user: { name: config.clientId, type: 'servicePrincipal' },
      }),
    );
    return 0;
  }
  if (command === 'account get-access-token') {
    const resource = option(args, '--resource') ?? 'https://management.core.windows.net/';
    const tenant = option(args, '--tenant') ?? config.tenantId;
    const answer = await httpsRequest({
      method: 'POST',
      url: `${config.login}${tenant}/oauth2/v2.0/token`,
      ca: readFileSync(config.caFile, 'utf8'),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: config.clientId,
        client_secret: config.clientSecret,
        // azure-cli-core auth/util.py resource_to_scopes: the resource, a slash unless it ends in one, '.default'.
        scope: `${resource.endsWith('/') ? resource : `${resource}/`}.default`,
      }).toString(),
    });
    const body = answer.body as { access_token?: string; expires_in?: number; error_description?: string } | undefined;
    if (answer.status !== 200 || !body?.access_token) {
      process.stderr.write(`ERROR: ${body?.error_description ?? `HTTP ${answer.status}`}\n`);
      return 1;
    }
    const expiresOn = Math.floor(Date.now() / 1000) + (body.expires_in ?? 3600);
    process.stdout.write(
      JSON.stringify({
        accessToken: body.access_token,
        expiresOn: new Date(expiresOn * 1000).toISOString().replace('T', ' ').replace('Z', '000'),
        expires_on: expiresOn,
        subscription: config.subscriptionId,
        tenant,
        tokenType: 'Bearer',
      }),
    );
    return 0;
  }
  process.stderr.write(`ERROR: '${args.join(' ')}' is misspelled or not recognized by the system.\n`);
  return 2;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
