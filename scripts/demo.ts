/**
 * `npm run demo`: starts the emulator of Entra ID, ARM and Azure DevOps, runs the bundled task as the
 * agent would with the README's YAML example, and shows what it created, the output variables, and that a
 * later pipeline can use the new connection.
 *
 * `npm run demo -- --cli`: README "Getting started" against the emulator: signed in through the Azure CLI
 * (a stand-in `az` that answers from the emulator), one command creates the bootstrap connection with the
 * roles it needs, and a pipeline using it reaches ARM.
 *
 * `npm run demo -- --cli <flags>`: the same command with your flags too (`--dry-run`, `--connection-name x`,
 * `--identity-type appRegistration`, `--json`, …): a flag you give replaces the Getting started one of that
 * name, a switch is added; the emulator's organization, project and ARM URL stay unless you give them. An
 * action word comes first whatever its place (`npm run demo -- --cli inventory --inventory-scope
 * organization`), and the emulator then holds its seeded fleet of connections of every kind, so that an
 * inventory, a migration or a removal has something to find.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Emulator } from '../tests/support/emulator';
import { baseFlags, parseOutputs, runCli } from '../tests/e2e/cliHarness';
import { runTask } from '../tests/e2e/harness';
import { useConnection } from '../tests/support/useConnection';

const INPUTS = {
  bootstrapConnection: 'platform-bootstrap',
  connectionName: 'app1-dev',
  identityResourceGroup: 'rg-identities',
  resourceGroup: 'rg-app1-dev',
  roleDefinitionName: 'Contributor',
};

/**
 * The command's arguments: Getting started's, with every flag the user gave in place of the one of that name
 * (all values of a repeatable flag at once), the user's switches and other flags after them.
 */
export function demoArgs(defaults: string[], user: string[]): string[] {
  const action = user[0] !== undefined && !user[0].startsWith('-') ? user.slice(0, 1) : [];
  if (action.length > 0) user = user.slice(1);
  const named = (arg: string): string | undefined => /^--([^=]+)/.exec(arg)?.[1];
  const given = new Set(user.map(named).filter((name): name is string => name !== undefined));
  const kept: string[] = [];
  for (let i = 0; i < defaults.length; i++) {
    const name = named(defaults[i]);
    const hasValue = !defaults[i].includes('=') && i + 1 < defaults.length && !defaults[i + 1].startsWith('--');
    if (name === undefined || !given.has(name)) kept.push(defaults[i], ...(hasValue ? [defaults[i + 1]] : []));
    if (hasValue) i++;
  }
  return [...action, ...kept, ...user];
}

/** README "Getting started", against the emulator, with the flags given after --cli. */
async function cliDemo(user: string[]): Promise<void> {
  const emulator = await Emulator.start(user[0] !== undefined && !user[0].startsWith('-') ? { fleet: {} } : {});
  try {
    const { world } = emulator;
    console.log('Emulated world (HTTPS on loopback, throwaway CA); you are signed in with `az login` (a stand-in az answers from it):');
    console.log(`  Entra ID       ${emulator.urls.login}  tenant ${world.tenantId}`);
    console.log(`  ARM            ${emulator.urls.arm}  subscription '${world.subscriptionName}' ${world.subscriptionId}`);
    console.log(`  Azure DevOps   ${world.organization.url}  project '${world.project.name}'`);
    const args = demoArgs(
      [
        ...baseFlags(emulator, 'platform-provisioner'),
        '--identity-resource-group',
        'rg-identities',
        '--role-definition-name',
        'Role Based Access Control Administrator',
        '--role-assignments',
        'Managed Identity Contributor@resourceGroups/rg-identities',
        // The emulator's ARM stands at a loopback URL: its endpoints come from its metadata, as for any cloud.
        '--resource-manager-url',
        emulator.urls.arm,
      ],
      user,
    );
    console.log(`\n$ workload-identity-connection ${args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ')}`);
    const run = await runCli(emulator, args, { signIn: 'azureCli' });
    for (const line of run.stderr.split('\n')) if (line) console.log(`  ${line}`);
    for (const line of run.stdout.split('\n')) if (line) console.log(`  ${line}`);
    if (run.exitCode !== 0) {
      console.log(`\nThe command failed (exit code ${run.exitCode}).`);
      process.exitCode = 1;
      return;
    }
    const outputs = args.includes('--json') ? (JSON.parse(run.stdout) as Record<string, string>) : parseOutputs(run.stdout);
    if (!outputs.serviceConnectionId) {
      console.log(
        `\nNothing to use: the command wrote no connection (a dry run, another action than provision, or --help). It took ${(run.durationMs / 1000).toFixed(2)} s.`,
      );
      return;
    }
    const used = await useConnection(emulator, outputs.serviceConnectionId);
    console.log(
      `\nA pipeline using '${outputs.serviceConnectionName}' as the task's bootstrapConnection: OIDC token exchanged at Entra ID, ARM answered ${used.status} at ${used.scope}.`,
    );
    console.log(
      `The command took ${(run.durationMs / 1000).toFixed(2)} s. From here the pipeline takes over: bootstrapConnection: ${outputs.serviceConnectionName}.`,
    );
    if (used.status !== 200) process.exitCode = 1;
  } finally {
    await emulator.stop();
  }
}

async function main(): Promise<void> {
  const cli = process.argv.indexOf('--cli');
  if (cli >= 0) return cliDemo(process.argv.slice(cli + 1));
  const emulator = await Emulator.start();
  try {
    const { world } = emulator;
    console.log('Emulated world (HTTPS on loopback, throwaway CA):');
    console.log(`  Entra ID       ${emulator.urls.login}  tenant ${world.tenantId}`);
    console.log(`  ARM            ${emulator.urls.arm}  subscription '${world.subscriptionName}' ${world.subscriptionId}`);
    console.log(`  Graph          ${emulator.urls.graph}  (the identityType: appRegistration variant)`);
    console.log(`  Azure DevOps   ${world.organization.url}  project '${world.project.name}'`);
    console.log(`  bootstrap      service connection '${world.bootstrap.connectionName}' (workload identity federation)`);
    console.log('\nRunning the task with:');
    for (const [name, value] of Object.entries(INPUTS)) console.log(`  ${name}: ${value}`);

    // The job's Agent.TempDirectory, kept after the run so that the summary the task attached can be read.
    const agentTemp = mkdtempSync(join(tmpdir(), 'wic-demo-agent-temp-'));
    const run = await runTask(emulator, INPUTS, { env: { AGENT_TEMPDIRECTORY: agentTemp } });
    const requestsSent = emulator.requests.length;
    console.log('\nTask log:');
    for (const line of run.stdout.split('\n')) {
      if (line && !line.startsWith('##vso[')) console.log(`  ${line}`);
    }
    if (run.result !== 'Succeeded') {
      console.log(`\nThe task failed: ${run.message}`);
      process.exitCode = 1;
      return;
    }

    const state = emulator.state() as {
      identities: { id: string; properties: { clientId: string; principalId: string } }[];
      roleAssignments: { properties: { principalId: string; scope: string; roleDefinitionId: string } }[];
      serviceConnections: { id: string; name: string }[];
      federatedCredentials: { name: string; properties: { issuer: string; subject: string } }[];
    };
    const identity = state.identities.find((i) => i.properties.clientId === run.outputs.clientId);
    const grant = state.roleAssignments.find((a) => a.properties.principalId === run.outputs.principalId);
    const credential = state.federatedCredentials.find((c) => c.properties.subject === run.outputs.workloadIdentitySubject);
    console.log('\nCreated:');
    console.log(`  managed identity       ${identity?.id}`);
    console.log(`  role assignment        Contributor at ${grant?.properties.scope}`);
    console.log(`  service connection     '${run.outputs.serviceConnectionName}' (${run.outputs.serviceConnectionId}) in project '${world.project.name}'`);
    console.log(`  federated credential   ${credential?.name}: issuer and subject copied from the connection`);

    console.log('\nOutput variables:');
    for (const [name, value] of Object.entries(run.outputs)) console.log(`  ${name} = ${value}`);

    const used = await useConnection(emulator, run.outputs.serviceConnectionId);
    console.log(
      `\nA later pipeline using '${run.outputs.serviceConnectionName}': OIDC token exchanged at Entra ID, ARM answered ${used.status} at ${used.scope}.`,
    );
    const summary = run.attachments.find((attachment) => attachment.type === 'Distributedtask.Core.Summary');
    console.log(`\nThe run's summary (the run's Extensions tab in Azure DevOps), in Markdown: ${summary?.path}`);
    console.log(`\nThe run took ${(run.durationMs / 1000).toFixed(2)} s and sent ${requestsSent} HTTP requests.`);

    const again = await runTask(emulator, INPUTS);
    const kept = again.stdout.split('\n').filter((line) => line.startsWith('Kept:')).length;
    console.log(`Re-run: ${again.result}, ${kept} resources kept, nothing created (${(again.durationMs / 1000).toFixed(2)} s).`);
  } finally {
    await emulator.stop();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
