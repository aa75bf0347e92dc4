/** markdown and portalLinks: values rendered as text, links only to pages built from validated ids. */
import { strict as assert } from 'node:assert';
import { code, link, table, text } from '../../src/markdown';
import { applicationPage, armPage, connectionPage, portalHost } from '../../src/portalLinks';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const GUID = 'c0ffee00-1111-2222-3333-444455556666';

describe('markdown: a value renders as the value', () => {
  it('escapes what would make HTML, a link, an image, emphasis, a heading or a table cell, on one line', () => {
    assert.equal(
      text('a|b <img src=x onerror=alert(1)> [x](javascript:alert(1))'),
      'a\\|b &lt;img src=x onerror=alert\\(1\\)&gt; \\[x\\]\\(javascript:alert\\(1\\)\\)',
    );
    assert.equal(text('**bold** _em_ `code` # ~x~ !'), '\\*\\*bold\\*\\* \\_em\\_ \\`code\\` \\# \\~x\\~ \\!');
    assert.equal(text('line one\r\n## line two\u0007'), 'line one \\#\\# line two');
    assert.equal(text('a & b'), 'a &amp; b');
  });

  it("cuts what linkify or GFM's autolinks would take for a link: domains, schemes, addresses", () => {
    assert.equal(text('see https://evil.example/x and www.evil.com or me@evil.com'), 'see https\\://evil\\.example/x and www\\.evil\\.com or me\\@evil\\.com');
    assert.equal(text('Done. Next'), 'Done. Next', 'a full stop before a space stays as it is');
  });

  it('puts ids in a code span whose fence is longer than any backtick run in them, with pipes escaped for tables', () => {
    assert.equal(code('https://vstoken.dev.azure.com/x'), '`https://vstoken.dev.azure.com/x`');
    assert.equal(code('a`b'), '``a`b``');
    assert.equal(code('`a'), '`` `a ``');
    assert.equal(code('a|b\nc'), '`a\\|b c`');
  });

  it('links only to an https URL without spaces or angle brackets, between angle brackets', () => {
    assert.equal(link('rg (x)', 'https://portal.azure.com/#@t/resource/rg(x)'), '[rg \\(x\\)](<https://portal.azure.com/#@t/resource/rg(x)>)');
    assert.equal(link('x', undefined), 'x');
    assert.equal(link('x', 'javascript:alert(1)'), 'x');
    assert.equal(link('x', 'https://a.b/<script>'), 'x');
    assert.equal(link('x', 'http://a.b/'), 'x');
  });

  it('makes a GFM table', () => {
    assert.deepEqual(table(['a', 'b'], [['1', '2']]), ['| a | b |', '| --- | --- |', '| 1 | 2 |']);
  });
});

describe("portalLinks: pages of the connection's cloud, from validated ids", () => {
  it('knows the portal of each cloud Azure DevOps names, and none of another', () => {
    assert.equal(portalHost('AzureCloud'), 'https://portal.azure.com');
    assert.equal(portalHost('azureusgovernment'), 'https://portal.azure.us');
    assert.equal(portalHost('AzureChinaCloud'), 'https://portal.azure.cn');
    assert.equal(portalHost('AzureStack'), undefined);
    assert.equal(armPage('AzureStack', TENANT, `/subscriptions/${GUID}`), undefined);
  });

  it("links an ARM id's page (and its Access control blade) in the tenant, and refuses what is not an ARM id or a tenant", () => {
    assert.equal(
      armPage('AzureCloud', TENANT, `/subscriptions/${GUID}/resourceGroups/rg-(1)`, 'users'),
      `https://portal.azure.com/#@${TENANT}/resource/subscriptions/${GUID}/resourceGroups/rg-(1)/users`,
    );
    assert.equal(
      armPage('AzureCloud', TENANT, '/providers/Microsoft.Management/managementGroups/mg-1'),
      `https://portal.azure.com/#@${TENANT}/resource/providers/Microsoft.Management/managementGroups/mg-1`,
    );
    assert.equal(armPage('AzureCloud', 'contoso.onmicrosoft.com', `/subscriptions/${GUID}`), undefined);
    assert.equal(armPage('AzureCloud', TENANT, `/subscriptions/${GUID}/../x`), undefined);
    assert.equal(armPage('AzureCloud', TENANT, `/subscriptions/${GUID}/resourceGroups/a b`), undefined);
    assert.equal(armPage('AzureCloud', TENANT, 'https://evil.example/'), undefined);
  });

  it('links an app registration by its application id, and a connection by project and connection id', () => {
    assert.equal(
      applicationPage('AzureUSGovernment', TENANT, GUID),
      `https://portal.azure.us/${TENANT}/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Overview/appId/${GUID}`,
    );
    assert.equal(applicationPage('AzureCloud', TENANT, 'not-a-guid'), undefined);
    assert.equal(
      connectionPage('https://dev.azure.com/contoso/', GUID, GUID),
      `https://dev.azure.com/contoso/${GUID}/_settings/adminservices?resourceId=${GUID}`,
    );
    assert.equal(
      connectionPage('https://tfs.contoso.com/tfs/DefaultCollection', GUID, GUID),
      `https://tfs.contoso.com/tfs/DefaultCollection/${GUID}/_settings/adminservices?resourceId=${GUID}`,
    );
    assert.equal(connectionPage('https://dev.azure.com/contoso/', 'platform', GUID), undefined);
    assert.equal(connectionPage('http://dev.azure.com/contoso/', GUID, GUID), undefined);
    assert.equal(connectionPage('https://dev.azure.com/contoso/?x=1', GUID, GUID), undefined);
    assert.equal(connectionPage('not a url', GUID, GUID), undefined);
  });
});
