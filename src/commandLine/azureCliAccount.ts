/** `az account show`: what the command line learns from the Azure CLI when it is installed and signed in. */
import { exec } from 'node:child_process';

/** What the command line learns from the Azure CLI when it is installed and signed in. */
interface AzureCliAccount {
  id?: string;
  tenantId?: string;
}

/** `az account show`: the Azure CLI's current subscription and tenant, or why there is none. */
export function azureCliAccount(): Promise<AzureCliAccount | { problem: string }> {
  return new Promise((done) => {
    exec('az account show --output json', { timeout: 30_000, windowsHide: true }, (error, stdout, stderr) => {
      if (error) {
        done({
          problem:
            String(stderr || error.message)
              .split(/\r?\n/)
              .find(Boolean) ?? 'az account show failed',
        });
        return;
      }
      try {
        done(JSON.parse(stdout) as AzureCliAccount);
      } catch {
        done({ problem: 'az account show printed no JSON' });
      }
    });
  });
}
