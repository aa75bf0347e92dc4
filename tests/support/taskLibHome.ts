/**
 * Imported before anything that loads azure-pipelines-task-lib: on load, task-lib keeps its vault key
 * (.taskkey) in Agent.TempDirectory, else in the working directory, which here is the repository. The
 * test process gets a temporary directory of its own instead.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env.AGENT_TEMPDIRECTORY ??= mkdtempSync(join(tmpdir(), 'wic-inprocess-agent-'));
