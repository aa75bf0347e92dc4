/** src/inventorySummary.ts: the inventory's section of the run's summary, from its report alone. */
import { strict as assert } from 'node:assert';
import type { InventoryReport, ReportConnection } from '../../src/inventory/report';
import { inventorySummary, migrateFirst, SUMMARY_ROWS } from '../../src/inventorySummary';

function connection(name: string, findings: ReportConnection['findings'], lastSecretExpiry: string | null = null): ReportConnection {
  return { name, project: 'p<1>', url: null, scheme: 'WorkloadIdentityFederation', findings, lastSecretExpiry } as ReportConnection;
}

const finding = (code: ReportConnection['findings'][number]['code'], severity: 'error' | 'warning' | 'info' = 'warning') => ({
  code,
  severity,
  message: `m ${code}`,
  fix: 'f',
});

function report(connections: ReportConnection[]): InventoryReport {
  const findings: Record<string, number> = {};
  for (const f of connections.flatMap((c) => c.findings)) findings[f.code] = (findings[f.code] ?? 0) + 1;
  return {
    schemaVersion: 1,
    generatedAt: '',
    action: 'inventory',
    organization: { url: 'https://dev.azure.com/contoso/', id: null },
    projects: ['p'],
    connections,
    summary: { connections: connections.length, byScheme: {}, findings, unreadProjects: ['secret [project]'] },
  };
}

describe('the inventory summary', () => {
  it('tables the connections with findings (errors first), counts each finding with its fix, and lists what to migrate first', () => {
    const connections = [
      connection('old issuer', [finding('azureDevOpsIssuer')]),
      connection('sovereign', [finding('azureDevOpsIssuer', 'info')]),
      connection('late secret', [finding('secret')], '2027-09-01T00:00:00Z'),
      connection('soon secret', [finding('secret'), finding('secretExpiresSoon')], '2026-12-20T00:00:00Z'),
      connection('broken', [finding('identityNotFound', 'error')]),
      connection('fine', []),
    ];
    const { title, markdown } = inventorySummary(
      { subject: 'contoso', report: report(connections), outputs: [['connectionCount', '6']] },
      { result: 'SucceededWithIssues', message: 'Inventory of 6.' },
    );
    assert.equal(title, 'Workload identity connection: inventory of contoso');
    const rows = markdown.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| connection') && !line.startsWith('| ---'));
    assert.match(rows[0], /^\| broken \| p&lt;1&gt; \|/);
    assert.match(markdown, /\| `azureDevOpsIssuer` \| warning \| 2 \| migrate before 1 July 2027/);
    assert.deepEqual(
      migrateFirst(connections).map((m) => m.connection.name),
      ['old issuer', 'soon secret', 'late secret'],
    );
    assert.match(markdown, /1\. old issuer \\\(p&lt;1&gt;\\\): Azure DevOps' issuer/);
    assert.match(markdown, /### Projects not read\n\n- secret \\\[project\\\]/);
    assert.match(markdown, /\| `connectionCount` \| `6` \|/);
  });

  it('says when no connection has a finding, caps long tables, and tells a failure before any report', () => {
    assert.match(
      inventorySummary({ report: report([connection('fine', [])]) }, { result: 'Succeeded', message: 'ok' }).markdown,
      /None of the 1 connections has a finding/,
    );
    const many = Array.from({ length: SUMMARY_ROWS + 5 }, (_, i) => connection(`c${i}`, [finding('unused')]));
    assert.match(
      inventorySummary({ report: report(many) }, { result: 'SucceededWithIssues', message: 'm' }).markdown,
      /… and 5 more: the report lists every one/,
    );
    const failed = inventorySummary({}, { result: 'Failed', message: "Input 'failOn' names the finding 'x'." });
    assert.equal(failed.title, 'Workload identity connection: inventory');
    assert.match(failed.markdown, /\*\*Failed\*\*: Input 'failOn' names the finding 'x'\./);
  });
});
