/**
 * Who used a service connection last: its execution history (Executionhistory - List,
 * `GET {org}/{project}/_apis/serviceendpoint/{endpointId}/executionhistory?top=1`, newest first;
 * tests/fixtures/contracts/ado-serviceendpoint-7.2, docs/wire.md "Removal"). Said before a removal, so that
 * whoever removes a connection sees whether a pipeline still uses it.
 */
import type { Clients } from '../clients';
import { devops } from '../clients/devops';

/** Executionhistory - List: api-Version-preview.1 in the 7.2 contract. */
export const EXECUTION_HISTORY_API = '7.2-preview.1';

/** The newest use of the connection: by which pipeline (definition) of which kind, and when it finished. */
export interface LastUse {
  /** The pipeline's name (the execution's definition), or its owner's when the definition has none. */
  pipeline: string;
  planType: string;
  /** When the run finished (or started, while it runs), in ms since the epoch; undefined when not given. */
  at?: number;
}

interface WireRecord {
  data?: {
    planType?: string;
    definition?: { name?: string };
    owner?: { name?: string };
    startTime?: string;
    finishTime?: string;
  };
}

/** The newest execution record, as our model; null when the history is empty, undefined when it is not a record. */
export function lastUseFromWire(body: unknown): LastUse | null | undefined {
  const value = (body as { value?: unknown } | null)?.value;
  if (!Array.isArray(value)) return undefined;
  if (value.length === 0) return null;
  const data = (value[0] as WireRecord).data ?? {};
  const time = Date.parse(data.finishTime ?? data.startTime ?? '');
  return { pipeline: data.definition?.name || data.owner?.name || 'unknown', planType: data.planType ?? '', at: Number.isNaN(time) ? undefined : time };
}

/**
 * The connection's last use, or null when it was never used; a failure is kept as its reason: the removal does
 * not need the answer, only the line that tells it.
 */
export async function readLastUse(clients: Clients, projectId: string, connectionId: string): Promise<LastUse | null | { unread: string }> {
  try {
    const body = await devops(clients, "read the service connection's execution history", () =>
      clients.devops.request<unknown>({
        path: `${encodeURIComponent(projectId)}/_apis/serviceendpoint/${encodeURIComponent(connectionId)}/executionhistory`,
        apiVersion: EXECUTION_HISTORY_API,
        query: { top: '1' },
      }),
    );
    const use = lastUseFromWire(body);
    return use === undefined ? { unread: 'Azure DevOps answered no execution records' } : use;
  } catch (error) {
    return { unread: (error as Error).message };
  }
}

/** "3 days ago", "5 hours ago", "just now": how long before `now` a use was. */
export function ago(at: number, now: number): string {
  const minutes = Math.max(0, Math.round((now - at) / 60_000));
  const [amount, unit] = minutes < 60 ? [minutes, 'minute'] : minutes < 48 * 60 ? [Math.round(minutes / 60), 'hour'] : [Math.round(minutes / 1440), 'day'];
  if (amount === 0) return 'just now';
  return `${amount} ${unit}${amount === 1 ? '' : 's'} ago`;
}

/** The last use in words: "last used 3 days ago by pipeline app1-deploy", "never used". */
export function lastUseWords(use: LastUse | null | { unread: string } | undefined, now: number): string {
  if (use === undefined) return 'last use not read';
  if (use === null) return 'never used (its execution history is empty)';
  if ('unread' in use) return `last use unknown (${use.unread})`;
  return `last used ${use.at === undefined ? 'at an unknown time' : ago(use.at, now)} by pipeline ${use.pipeline}`;
}
