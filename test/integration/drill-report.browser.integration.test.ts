/**
 * The drill report as a person sees it: rendered in a real headless Chromium (Debian's
 * `chromium`, driven by playwright-core), the headline and the charts are there and a
 * screenshot is taken (written next to the report for a human to look at).
 * Fails, not skips, when Chromium is missing: `sh .ci/install-system-packages.sh` installs it.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDrillReport } from '../../infra/local/drill/drill-report.ts';
import { failoverConditions } from '../../infra/local/drill/scenarios/failover-checks.ts';
import { verdictOf } from '../../infra/local/drill/scenarios/drill-scenario.ts';
import { summarizeDrill, withVerdict } from '../../infra/local/drill/summarize-drill.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A measured-looking failover: 2 stacks, one kill at t=10 s, writes before and after. */
function sampleSummary() {
  const acknowledged = [...Array.from({ length: 40 }, (_, i) => ({ id: i + 1, at: 5_000 + i * 120 })), ...Array.from({ length: 20 }, (_, i) => ({ id: 41 + i, at: 11_800 + i * 100 }))];
  const measured = summarizeDrill({
    killAt: 10_000,
    alarmAt: 10_250,
    dnsVerifiedAt: 11_400,
    acknowledged,
    idsOnPromotedTwin: { postgres: new Set(acknowledged.map((a) => a.id)), redis: new Set(acknowledged.map((a) => a.id)) },
    dnsBefore: '127.0.1.1',
    dnsAfter: '127.0.2.1',
    failoverStatus: 'SUCCEEDED',
    failoverReasons: ['replica postgres was streaming synchronously: no committed data lost'],
    databases: [
      { name: 'postgres', engine: 'postgres', mode: 'sync', promoted: true, loss: 0, lagUnit: 'bytes', reasons: ['streaming synchronously'] },
      { name: 'redis', engine: 'redis', mode: 'sync', promoted: true, loss: 0, lagUnit: 'bytes', reasons: ['lag 0 B within limit'] },
    ],
    wallMs: 30_000,
    writer: {
      // Wall-clock seconds (epoch ms / 1000): 5–9 before the kill at 10 s, 11–13 after.
      seconds: [5, 6, 7, 8, 9, 10, 11, 12, 13].map((second) => ({ second, acknowledged: second === 10 ? 0 : 8, failed: second === 10 || second === 11 ? 6 : 0 })),
      dnsAnswers: [
        { answer: '127.0.1.1', fromAt: 5_000, toAt: 11_000, queries: 6 },
        { answer: '127.0.2.1', fromAt: 11_500, toAt: 13_800, queries: 3 },
      ],
    },
  });
  // The verdict the drill gives a kill-primary run: its failover conditions.
  return withVerdict(measured, verdictOf(failoverConditions(measured)), { scenario: 'kill-primary', property: 'the failover succeeds and no acknowledged write is lost' });
}

describe('drill report in headless Chromium', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no ${CHROMIUM}: run as root \`sh .ci/install-system-packages.sh\` (it installs Debian's chromium), then re-run the tests`);
    dir = mkdtempSync(join(tmpdir(), 'twinstack-report-'));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 60_000 });
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the verdict, the headline figures, every database and the SVG charts', async () => {
    // Prepare
    const file = join(dir, 'index.html');
    writeFileSync(file, renderDrillReport(sampleSummary(), [
      { label: 'workflow failover', startMs: 10_250, durationMs: 1_150, status: 'SUCCEEDED' },
      { label: '  failover › PromoteDatabase', startMs: 10_600, durationMs: 400, status: 'ok' },
      { label: 'primary killed', startMs: 10_000 },
    ]));
    const page = await browser.newPage({ viewport: { width: 1200, height: 1600 } });

    // Act
    await page.goto(`file://${file}`);
    const verdict = await page.textContent('#verdict');
    const body = (await page.textContent('body')) ?? '';
    const timeline = await page.locator('svg#timeline').boundingBox();
    const svgCount = await page.locator('svg').count();
    await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });

    // Assess
    expect(verdict?.trim()).toBe('PASSED');
    expect(body).toMatch(/RTO/);
    expect(body).toContain('1800 ms');
    expect(body).toContain('postgres');
    expect(body).toContain('redis');
    expect(body).toContain('127.0.2.1');
    expect(timeline?.height ?? 0).toBeGreaterThan(20);
    // The timeline, the DNS band and the writes-per-second chart.
    expect(svgCount).toBeGreaterThanOrEqual(3);
    expect(existsSync(join(dir, 'report.png'))).toBe(true);
  });
});
