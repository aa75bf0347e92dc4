/**
 * Runs the bundled command line (package.json `bin`, dist/cli/) as a user's shell would, against the
 * emulator: a fresh process with the user's environment, signed in either through environment variables
 * (AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID, AZURE_AUTHORITY_HOST at the emulated Entra ID) or
 * through the Azure CLI, played by an `az` stand-in on PATH (azStandIn.ts) that answers from the emulator.
 * The emulator's CA is trusted through NODE_EXTRA_CA_CERTS, as a person would trust a corporate CA.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import type { Emulator } from '../support/emulator';
import type { AzStandInConfig } from './azStandIn';
import { repositoryRoot } from '../support/taskRun';
import { NO_COVERAGE } from './harness';

export const CLI_ENTRY = join('dist', 'cli', 'workload-identity-connection.js');

export type SignIn = 'azureCli' | 'environment' | 'none';

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** The commands the `az` stand-in was asked to run. */
  azCommands: string[];
}

export interface CliOptions {
  signIn?: SignIn;
  /** Extra environment, applied last; undefined removes a variable. */
  env?: Record<string, string | undefined>;
  /** The file to run instead of the bundled command (an installed package's bin). */
  entry?: string;
}

/**
 * A directory with an `az` that runs the stand-in against this emulator, for PATH. The stand-in signs in as
 * the bootstrap application: the "person" of these tests is the identity that then holds the bootstrap roles.
 */
export function azStandIn(emu: Emulator, overrides: Partial<AzStandInConfig> = {}): { directory: string; log: string; config: string } {
  const directory = mkdtempSync(join(tmpdir(), 'wic-az-'));
  const config: AzStandInConfig = {
    login: emu.urls.login,
    tenantId: emu.world.tenantId,
    clientId: emu.world.bootstrap.clientId,
    clientSecret: emu.world.bootstrap.clientSecret,
    subscriptionId: emu.world.subscriptionId,
    subscriptionName: emu.world.subscriptionName,
    caFile: emu.caFile,
    ...overrides,
  };
  const configFile = join(directory, 'config.json');
  writeFileSync(configFile, JSON.stringify(config));
  const script = resolve(repositoryRoot(), 'build', 'tests', 'e2e', 'azStandIn.js');
  const az = join(directory, 'az');
  writeFileSync(az, `#!/bin/sh\nexec "${process.execPath}" "${script}" "$@"\n`);
  chmodSync(az, 0o755);
  return { directory, log: join(directory, 'commands.log'), config: configFile };
}

export async function runCli(emu: Emulator, args: string[], options: CliOptions = {}): Promise<CliRun> {
  const root = repositoryRoot();
  const signIn = options.signIn ?? 'azureCli';
  // The user's shell: no Azure variables of the test runner's, no agent variables, no step summary of a CI running the tests.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && !/^(AZURE_|INPUT_|ENDPOINT_|SECRET_|SYSTEM_|AGENT_|HTTPS?_PROXY|NO_PROXY|GITHUB_STEP_SUMMARY)/i.test(entry[0]),
    ),
  );
  const az = azStandIn(emu);
  const env: Record<string, string | undefined> = {
    ...inherited,
    ...NO_COVERAGE,
    NODE_EXTRA_CA_CERTS: emu.caFile,
    // Only the stand-in answers as `az`: a real Azure CLI on the machine is never asked.
    PATH: [az.directory, '/usr/bin', '/bin'].join(delimiter),
    WIC_AZ_STANDIN: az.config,
    WIC_AZ_STANDIN_LOG: az.log,
  };
  if (signIn === 'environment') {
    Object.assign(env, {
      AZURE_CLIENT_ID: emu.world.bootstrap.clientId,
      AZURE_CLIENT_SECRET: emu.world.bootstrap.clientSecret,
      AZURE_TENANT_ID: emu.world.tenantId,
    });
  }
  if (signIn === 'none') writeFileSync(az.config, JSON.stringify({ signedOut: true }));
  Object.assign(env, options.env ?? {});
  const started = performance.now();
  const child = spawn(process.execPath, [resolve(root, options.entry ?? CLI_ENTRY), ...args], {
    cwd: tmpdir(),
    env: Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exitCode = await new Promise<number>((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => done(code ?? 1));
  });
  let azCommands: string[] = [];
  try {
    azCommands = readFileSync(az.log, 'utf8').split('\n').filter(Boolean);
  } catch {
    // the stand-in was never asked
  }
  return {
    exitCode,
    stdout: Buffer.concat(stdout).toString('utf8'),
    stderr: Buffer.concat(stderr).toString('utf8'),
    durationMs: performance.now() - started,
    azCommands,
  };
}

/** The flags of a first connection against the emulator's organization and project. */
export function baseFlags(emu: Emulator, connectionName: string): string[] {
  return ['--organization-url', emu.world.organization.url, '--project', emu.world.project.name, '--connection-name', connectionName];
}

/** name=value lines as a record. */
export function parseOutputs(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}
