import { describe, expect, it } from 'vitest';
import { renderDrillReport, renderTimelineSvg } from '../../../infra/local/drill/drill-report.ts';
import { summarizeDrill, summarizeFailedDrill, withVerdict, type DrillObservations } from '../../../infra/local/drill/summarize-drill.ts';

const observations: DrillObservations = {
  killAt: 1000,
  alarmAt: 1300,
  dnsVerifiedAt: 2900,
  acknowledged: [{ id: 1, at: 900 }, { id: 2, at: 3900 }],
  idsOnPromotedTwin: { main: new Set([1, 2]) },
  dnsBefore: '127.0.1.1',
  dnsAfter: '127.0.2.1',
  failoverStatus: 'SUCCEEDED',
  failoverReasons: ['replica main was streaming <synchronously>'],
  databases: [{ name: 'main', engine: 'postgres', mode: 'sync', promoted: true, loss: 0, lagUnit: 'bytes', reasons: ['caught up'] }],
  wallMs: 30_000,
};
const measured = summarizeDrill(observations);
const summary = withVerdict(measured, { passed: true, reasons: ['ok: failover SUCCEEDED'] }, { scenario: 'kill-primary', property: 'the failover succeeds' });

describe('renderDrillReport', () => {
  it('has the headline, per-database writes, the reasons (escaped), DNS and an inline SVG timeline', () => {
    const html = renderDrillReport(summary, [
      { label: 'workflow failover', startMs: 1300, durationMs: 1600, status: 'SUCCEEDED' },
      { label: '  failover › PromoteDatabase', startMs: 1500, durationMs: 200, status: 'ok' },
      { label: 'primary killed', startMs: 1000 },
    ]);
    expect(html).toContain('id="verdict">PASSED');
    expect(html).toMatch(/RTO<\/div><div class="v">2900 ms/);
    expect(html).toMatch(/Detection<\/div><div class="v">300 ms/);
    expect(html).toMatch(/Orchestration<\/div><div class="v">1600 ms/);
    expect(html).toContain('<td>main</td>');
    expect(html).toContain('streaming &lt;synchronously&gt;');
    expect(html).toContain('<code>127.0.2.1</code> (switched to the twin)');
    expect(html).toMatch(/<svg [^>]*id="timeline"/);
    expect(html).toContain('failover › PromoteDatabase');
  });

  it('a scenario\'s verdict is its property\'s, with each condition checked', () => {
    // Prepare: the failover itself was fine (ok), but the scenario's property failed.
    const scenario = withVerdict(measured, { passed: false, reasons: ['ok: 97 samples', 'FAILED: 2 dual-primary samples'] }, { scenario: 'partition', property: 'no two <writable> primaries' });
    // Act
    const html = renderDrillReport(scenario, []);
    // Assess
    expect(html).toContain('id="verdict">FAILED');
    expect(html).toContain('<h2>Scenario partition</h2><p>no two &lt;writable&gt; primaries</p>');
    expect(html).toContain('<li class="badtext">FAILED: 2 dual-primary samples</li>');
  });

  it('names the failover invariants apart from the verdict, and the clone when there was one', () => {
    // Prepare: a scenario that passes without a failover (DNS back where it began).
    const back = withVerdict(summarizeDrill({ ...observations, failoverStatus: 'NOT_RUN', dnsAfter: '127.0.1.1' }), { passed: true, reasons: [] }, { clone: { durationMs: 9_100, hosts: 1, twin: 'drill-twin' } });
    // Act
    const html = renderDrillReport(back, []);
    // Assess
    expect(html).toContain('id="verdict">PASSED');
    expect(html).toContain('failover invariants not held; DNS did not move');
    expect(html).toContain('twin drill-twin cloned in 9100 ms (1 host)');
  });

  it('is self-contained: no script, no external URL', () => {
    const html = renderDrillReport(summary, []);
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('a failed drill says FAILED and shows its error', () => {
    const html = renderDrillReport(summarizeFailedDrill({ error: 'replicate failed: <boom>', wallMs: 5 }), []);
    expect(html).toContain('FAILED');
    expect(html).toContain('replicate failed: &lt;boom&gt;');
    expect(renderTimelineSvg([])).toContain('No timeline');
  });
});
