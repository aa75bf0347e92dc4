/** The repository's own files as the unit tests of task.json, the README, the samples and the input names read them. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..', '..', '..');

/** A file of the repository, a UTF-8 byte-order mark stripped. */
export const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8').replace(/^\uFEFF/, '');

export interface TaskInput {
  name: string;
  type: string;
  label: string;
  required?: boolean;
  defaultValue?: string | boolean;
  groupName?: string;
  visibleRule?: string;
  helpMarkDown?: string;
}
export interface TaskJson {
  instanceNameFormat: string;
  groups: { name: string; displayName: string }[];
  inputs: TaskInput[];
  outputVariables: { name: string; description?: string }[];
  dataSourceBindings: { target: string; endpointId: string; dataSourceName?: string; endpointUrl?: string; parameters?: Record<string, string> }[];
  messages?: Record<string, string>;
}

export const task = JSON.parse(read('task.json')) as TaskJson;
