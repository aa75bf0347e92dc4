import type { Terminal } from '../../../src/commandLine/terminalAgent';

/** A terminal that records what it received. */
export function terminal(isTTY = false): { stdout: string[]; stderr: string[]; io: Terminal } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, io: { stdout: { write: (t: string) => stdout.push(t) }, stderr: { write: (t: string) => stderr.push(t), isTTY } } };
}
