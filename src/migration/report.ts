/**
 * The migration's JSON report: the inventory's report (tests/schemas/inventory-report.schema.json) of the
 * connections migrateConnections names, `action: migrate`, each with its `migration`, and `summary.migrated`.
 * Its connections' fields and findings are as read before the run's writes; `migration.after` says what changed.
 */
import type { ConnectionRead, InventoryRead } from '../inventory/model';
import { inventoryReport, type InventoryReport, type ReportConnection } from '../inventory/report';
import type { Migration, Outcome } from './apply';

export interface MigrationReport extends Omit<InventoryReport, 'action' | 'connections' | 'summary'> {
  action: 'migrate';
  dryRun: boolean;
  connections: (ReportConnection & { migration: Migration })[];
  summary: InventoryReport['summary'] & { migrated: number; outcomes: Partial<Record<Outcome, number>> };
}

/** The thresholds of the findings: the inventory's defaults (the migration does not take them as inputs). */
const THRESHOLDS = { secretExpiryDays: 30, unusedDays: 90 } as const;

export function migrationReport(
  read: InventoryRead,
  migrated: { read: ConnectionRead; migration: Migration }[],
  now: number,
  dryRun: boolean,
): MigrationReport {
  const inventory = inventoryReport({ ...read, connections: migrated.map((m) => m.read) }, { now, ...THRESHOLDS });
  const connections = inventory.connections.map((connection, index) => ({ ...connection, migration: migrated[index].migration }));
  const outcomes: Partial<Record<Outcome, number>> = {};
  for (const { migration } of connections) outcomes[migration.outcome] = (outcomes[migration.outcome] ?? 0) + 1;
  return {
    ...inventory,
    action: 'migrate',
    dryRun,
    connections,
    summary: { ...inventory.summary, migrated: migratedCount(connections.map((c) => c.migration)), outcomes },
  };
}

/** The output migratedCount: connections this run converted or prepared. */
export function migratedCount(migrations: Migration[]): number {
  return migrations.filter((m) => m.outcome === 'converted' || m.outcome === 'prepared').length;
}

/**
 * How the run ends (issue 21): Failed when a connection failed; SucceededWithIssues when one was skipped for a
 * reason its owner can fix, only prepared (the Update is still to do), converted but not verified, or a name
 * matched nothing; Succeeded otherwise.
 */
export function resultOf(migrations: Migration[], unknownNames: number): 'Failed' | 'SucceededWithIssues' | 'Succeeded' {
  if (migrations.some((m) => m.outcome === 'failed')) return 'Failed';
  if (unknownNames > 0 || migrations.some((m) => m.outcome === 'prepared' || (m.outcome === 'skipped' && m.fixable) || m.verified === false)) {
    return 'SucceededWithIssues';
  }
  return 'Succeeded';
}
