/**
 * Validators of single input values that several parts of the request share: text without control
 * characters, GUIDs, resource group names, booleans, whole numbers of seconds, multi-line lists. Each
 * throws an InputError naming the input and what it accepts.
 */
import { InputError } from './errors';
import type { InputName } from './inputNames';

/** A control character (C0), which no name or id may hold. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL_CHARACTER = /[\u0000-\u001f]/;
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftresources */
const RESOURCE_GROUP = /^[-\w.()\p{L}\p{N}]{1,90}$/u;

/** A multi-line input: one value per line, trimmed, empty lines dropped, repeats (ignoring case) dropped. */
export function lines(value: string): string[] {
  const seen = new Set<string>();
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !seen.has(line.toLowerCase()) && seen.add(line.toLowerCase()));
}

/** The agent hands a boolean input over as text; task-lib's getBoolInput reads 'true' in any case. */
export function parseBoolean(name: string, value: string): boolean {
  if (/^true$/i.test(value)) return true;
  if (value === '' || /^false$/i.test(value)) return false;
  throw new InputError(name, `has the value '${value}'. Supported values are: true, false.`);
}

export function parseSeconds(name: InputName, value: string, bounds: { default: number; min: number; max: number }): number {
  const text = value || String(bounds.default);
  const seconds = Number(text);
  if (!/^\d+$/.test(text) || seconds < bounds.min || seconds > bounds.max) {
    throw new InputError(name, `has the value '${text}'; use a whole number of seconds from ${bounds.min} to ${bounds.max} (default ${bounds.default}).`);
  }
  return seconds;
}

/** One line of a list of names or ids: printable, and short enough to be one. */
export function checkedName(input: string, value: string): string {
  if (value.length > 260 || CONTROL_CHARACTER.test(value)) {
    throw new InputError(input, `has the line '${value.slice(0, 40)}', which is not a name or id.`);
  }
  return value;
}

export function optionalResourceGroup(name: string, value: string): string | undefined {
  if (!value) return undefined;
  if (!RESOURCE_GROUP.test(value) || value.endsWith('.')) {
    throw new InputError(
      name,
      `'${value}' is not a valid resource group name: use 1-90 letters, digits, underscores, hyphens, periods and parentheses, not ending in a period.`,
    );
  }
  return value;
}
