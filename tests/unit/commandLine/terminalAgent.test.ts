import { strict as assert } from 'node:assert';
import type { Clock } from '../../../src/clock';
import { formatFailure, formatOutputs, TerminalAgent } from '../../../src/commandLine/terminalAgent';
import { pipelineAgent } from '../../../src/agent';
import { ServiceError } from '../../../src/errors';
import { toTaskError } from '../../../src/sdkErrors';
import { terminal } from './terminal';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { systemClock } from '../../../src/clock';

/** A clock that stands still until the test moves it. */
function manualClock(): Clock & { now(): number; at: number } {
  return {
    at: 1_700_000_000_000,
    now() {
      return this.at;
    },
    sleep: async () => undefined,
  };
}

describe('the terminal agent', () => {
  it("tells a failure in the command line's words, where the task keeps its own, and keeps it for --json (issue 24, classes 8 and 10)", () => {
    const raw = { inputs: {}, bootstrap: { id: 'x', parameters: {}, data: {} } };
    const cases: [unknown, RegExp, RegExp][] = [
      [
        { message: 'invalid_client: AADSTS7000215: Invalid client secret provided.' },
        /The client secret in AZURE_CLIENT_SECRET is wrong; set it to a valid secret of the application AZURE_CLIENT_ID names\n$/,
        /The bootstrap connection's client secret is wrong; update the service connection with a valid secret$/,
      ],
      [
        { message: 'unable to verify the first certificate', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
        /set NODE_EXTRA_CA_CERTS to a PEM file holding its CA certificate/,
        /config\.sh --sslcacert/,
      ],
    ];
    for (const [thrown, commandLineWords, taskWords] of cases) {
      const error = toTaskError('entra', 'sign in to Entra ID', thrown);
      const shown = terminal(false);
      const agent = new TerminalAgent(raw, shown.io, false, manualClock());
      agent.fail(error);
      assert.match(shown.stderr.join(''), commandLineWords);
      assert.doesNotMatch(shown.stderr.join(''), taskWords);
      const said: string[] = [];
      pipelineAgent({ setResult: (_result: string, message: string) => said.push(message) } as never).fail(error);
      assert.match(said[0], taskWords, 'the task keeps its own words');
    }
    const shown = terminal(false);
    const agent = new TerminalAgent(raw, shown.io, false, manualClock());
    agent.secret('s3cret-value');
    agent.fail(new ServiceError('refused s3cret-value', { operation: 'read the subscription', code: 'AuthorizationFailed' }));
    assert.deepEqual(JSON.parse(formatFailure(agent.failure!, agent.exitCode)), {
      exitCode: 1,
      error: {
        message: agent.failure!.message,
        operation: 'read the subscription',
        code: 'AuthorizationFailed',
      },
    });
    assert.match(agent.failure!.message, /^Could not read the subscription: refused \*\*\* \(AuthorizationFailed\)/, 'scrubbed');
  });

  it('prints scrubbed log lines on stderr, a live status only on a terminal, and the outputs as name=value or JSON', () => {
    const plain = terminal(false);
    const raw = { inputs: {}, bootstrap: { id: 'x', parameters: {}, data: {} }, devOpsTokenVariable: { value: 'pat-secret-value-123', secret: true } };
    const agent = new TerminalAgent(raw, plain.io, false, manualClock());
    agent.secret('token-abcdefgh');
    agent.info('got token-abcdefgh and pat-secret-value-123 \u001b[31mred');
    agent.debug('hidden');
    agent.fail("Input 'connectionName' is required.");
    agent.close();
    assert.deepEqual(plain.stderr, ['got *** and *** [31mred\n', 'error: --connection-name is required.\n']);
    assert.equal(agent.exitCode, 1);

    const tty = terminal(true);
    const clock = manualClock();
    const live = new TerminalAgent(raw, tty.io, true, clock);
    clock.at += 3_000;
    live.debug('shown');
    live.succeed('done');
    live.close();
    assert.ok(tty.stderr.some((t) => t.includes('debug: shown')));
    assert.ok(
      tty.stderr.some((t) => t.startsWith('\r\x1b[K… working (') && t.endsWith(' s)')),
      'a one-line status, rewritten in place',
    );
    assert.ok(tty.stderr.includes('\r\x1b[K… working (3 s)'), "the status counts the run's clock");
    assert.equal(tty.stderr[tty.stderr.length - 1], '\r\x1b[K', 'the status is cleared at the end');
    assert.equal(live.exitCode, 0);

    assert.equal(
      formatOutputs(
        [
          ['clientId', 'a'],
          ['tenantId', 'b'],
        ],
        false,
      ),
      'clientId=a\ntenantId=b\n',
    );
    assert.deepEqual(JSON.parse(formatOutputs([['clientId', 'a']], true)), { clientId: 'a' });
  });
});

describe('TerminalAgent: the run summary', () => {
  it('the terminal writes --summary anew and appends to $GITHUB_STEP_SUMMARY, secrets masked; a terminal alone gets nothing', () => {
    const directory = mkdtempSync(join(tmpdir(), 'wic-summary-'));
    const file = join(directory, 'summary.md');
    const step = join(directory, 'step_summary');
    writeFileSync(file, 'old');
    writeFileSync(step, '## an earlier step\n');
    const raw = { inputs: {}, bootstrap: { id: 'x', parameters: {}, data: {} } };
    const io = terminal();
    const agent = new TerminalAgent(raw, io.io, false, systemClock, { file, append: step });
    agent.secret('pat-secret-value-123');
    agent.summary({ title: 't', markdown: '## t\nwith pat-secret-value-123\n' });
    assert.equal(readFileSync(file, 'utf8'), '## t\nwith ***\n');
    assert.equal(readFileSync(step, 'utf8'), '## an earlier step\n\n## t\nwith ***\n');
    assert.deepEqual(io.stdout, []);

    const unwritable = terminal();
    new TerminalAgent(raw, unwritable.io, false, systemClock, { file: join(file, 'no', 'such') }).summary({ title: 't', markdown: 'm' });
    assert.match(unwritable.stderr.join(''), /^warning: could not write the summary to .*: ENOTDIR/);

    const plain = terminal();
    new TerminalAgent(raw, plain.io, false, systemClock).summary({ title: 't', markdown: 'm' });
    assert.deepEqual([...plain.stdout, ...plain.stderr], [], 'nothing extra on a terminal');
    assert.equal(dirname(file), directory);
  });
});
