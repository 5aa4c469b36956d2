import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CliIo } from '../../../infra/cli/cli-io.ts';
import { runWorkflowCommand, writeUnavailableMs } from '../../../infra/cli/commands/workflow.command.ts';

const GROUP = {
  name: 'shop',
  dns: { zone: 'shop.test', name: 'app.shop.test', ttl: 1 },
  primary: { name: 'shop-a', region: 'local', healthUrl: 'http://127.0.9.1:1/health', hosts: [] },
  twin: { name: 'shop-b', region: 'local', healthUrl: 'http://127.0.9.2:1/health', hosts: [] },
  databases: [],
  failover: { cooldownSeconds: 300, maxObservationAgeSeconds: 60 },
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'twinstack-cli-switchover-'));
  mkdirSync(join(dir, 'state'), { recursive: true });
  writeFileSync(join(dir, 'state', 'parameters.json'), JSON.stringify({
    '/twinstack/shop/config': { value: JSON.stringify(GROUP), secret: false },
    '/twinstack/shop/state': { value: JSON.stringify({ active: 'primary' }), secret: false },
  }));
  writeFileSync(join(dir, 'state', 'zone.json'), JSON.stringify({}));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function io() {
  const lines = { out: [] as string[], err: [] as string[] };
  return { lines, cli: { out: (l: string) => lines.out.push(l), err: (l: string) => lines.err.push(l) } satisfies CliIo };
}

const SWITCHED = {
  outcome: 'switched-over',
  from: 'primary',
  to: 'twin',
  databases: [{ database: 'main', token: '0/3000148', demotedAt: '2026-01-01T12:00:00.000Z', caughtUpAt: '2026-01-01T12:00:00.020Z' }],
  promoted: [{ database: 'main', promotedAt: '2026-01-01T12:00:00.250Z' }],
  dnsSwitchedAt: '2026-01-01T12:00:00.400Z',
  rejoined: [{ database: 'main', method: 'repointed', divergent: { amount: 0 } }],
};

describe('twinstack switchover', () => {
  it('--local --to twin runs the switchover with that input and prints each token, its timings and the write-unavailable window', async () => {
    // Prepare
    const { lines, cli } = io();
    const runLocal = vi.fn(() => Promise.resolve({ status: 'SUCCEEDED' as const, output: SWITCHED, events: [], durationMs: 900 }));
    // Act
    const code = await runWorkflowCommand('switchover', 'shop', { local: true, stateDir: join(dir, 'state'), to: 'twin', catchUpTimeout: '12' }, cli, { runLocal });
    // Assess
    expect(code).toBe(0);
    expect(runLocal).toHaveBeenCalledWith(expect.objectContaining({ workflow: 'switchover', input: { group: 'shop', reason: 'operator: twinstack switchover', to: 'twin', catchUpTimeoutSeconds: 12 } }));
    expect(lines.out.join('\n')).toMatch(/primary → twin; apps could not write for 400 ms/);
    expect(lines.out.join('\n')).toMatch(/main: token 0\/3000148; demoted 2026-01-01T12:00:00.000Z, caught up 2026-01-01T12:00:00.020Z, promoted 2026-01-01T12:00:00.250Z; old primary repointed/);
    expect(writeUnavailableMs(SWITCHED)).toBe(400);
  });

  it('a refused switchover prints the reasons and exits 3; --json carries the decision', async () => {
    // Prepare
    const refused = { action: 'refuse', kind: 'switchover', reasons: ['twin of main is not streaming from the primary'] };
    const runLocal = vi.fn(() => Promise.resolve({ status: 'SUCCEEDED' as const, output: refused, events: [], durationMs: 50 }));
    const text = io();
    const json = io();
    // Act
    const code = await runWorkflowCommand('switchover', 'shop', { local: true, stateDir: join(dir, 'state') }, text.cli, { runLocal });
    const jsonCode = await runWorkflowCommand('switchover', 'shop', { local: true, stateDir: join(dir, 'state'), json: true }, json.cli, { runLocal });
    // Assess
    expect([code, jsonCode]).toEqual([3, 3]);
    expect(text.lines.out).toContain('switchover refused, nothing changed:');
    expect(text.lines.out).toContain('  - twin of main is not streaming from the primary');
    expect(JSON.parse(json.lines.out.join('\n'))).toMatchObject({ workflow: 'switchover', decision: refused });
  });

  it('an aborted switchover (catch-up timeout) exits 4 with its cause', async () => {
    // Prepare
    const { lines, cli } = io();
    const runLocal = vi.fn(() => Promise.resolve({ status: 'FAILED' as const, error: 'SwitchoverAborted', cause: 'The replicas did not reach …', events: [], durationMs: 30_000 }));
    // Act
    const code = await runWorkflowCommand('switchover', 'shop', { local: true, stateDir: join(dir, 'state') }, cli, { runLocal });
    // Assess
    expect(code).toBe(4);
    expect(lines.out.join('\n')).toMatch(/SwitchoverAborted: The replicas did not reach/);
  });

  it.each([
    [{ to: 'eu' }, /--to must be primary or twin/],
    [{ catchUpTimeout: '0' }, /--catch-up-timeout must be a whole number of seconds from 1 to 600/],
    [{ catchUpTimeout: 'soon' }, /--catch-up-timeout must be a whole number/],
  ])('refuses %o: exit 2, nothing started', async (flags, says) => {
    // Prepare
    const { lines, cli } = io();
    const runLocal = vi.fn();
    // Act
    const code = await runWorkflowCommand('switchover', 'shop', { local: true, stateDir: join(dir, 'state'), ...flags }, cli, { runLocal });
    // Assess
    expect(code).toBe(2);
    expect(runLocal).not.toHaveBeenCalled();
    expect(lines.err.join('\n')).toMatch(says);
  });
});
