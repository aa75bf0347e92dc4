/**
 * The migration's inputs become one typed, validated request before the first network call (action: migrate,
 * issue 21). Pure: the reads are the inventory's (src/requestInventory.ts's scope, project and access), plus
 * which connections to migrate (no default: a migration is never implicit), the dry run and the bound of the
 * verifications after a conversion.
 */
import { InputError } from './errors';
import type { InputName } from './inputNames';
import { lines, parseBoolean, parseSeconds } from './inputValues';
import type { RawTask } from './rawTask';
import { type InventoryRequest, parseInventoryRequest } from './requestInventory';

export interface MigrationRequest extends InventoryRequest {
  /** Names or ids, one a line, or `*` for every connection of the scope. */
  migrateConnections: string[];
  dryRun: boolean;
  /** The bound of each converted connection's verification (TestConnection, asked again until then). */
  verifyTimeoutSeconds: number;
}

const VERIFY_TIMEOUT_SECONDS = { default: 300, min: 1, max: 3600 } as const;

export function parseMigrationRequest(raw: RawTask): MigrationRequest {
  const input = (name: InputName): string => (raw.inputs[name] ?? '').trim();
  // The inventory's own judgements (findings, failOn, its verification) are not the migration's: its inputs stay unread.
  const inventory = parseInventoryRequest({ ...raw, inputs: { ...raw.inputs, inventoryVerify: '', failOn: '', secretExpiryDays: '', unusedDays: '' } });
  const migrateConnections = lines(input('migrateConnections'));
  if (migrateConnections.length === 0) {
    throw new InputError(
      'migrateConnections',
      'is required with action migrate: the names or ids of the connections to migrate, one a line, or * for every connection of inventoryScope.',
    );
  }
  return {
    ...inventory,
    migrateConnections,
    dryRun: parseBoolean('dryRun', input('dryRun')),
    verifyTimeoutSeconds: parseSeconds('verifyTimeoutSeconds', input('verifyTimeoutSeconds'), VERIFY_TIMEOUT_SECONDS),
  };
}
