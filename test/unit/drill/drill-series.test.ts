import { describe, expect, it } from 'vitest';
import { renderDnsList, renderDnsSvg, renderDrillReport, renderWritesSvg, seriesDomain } from '../../../infra/local/drill/drill-report.ts';
import { countAttempt, foldDnsAnswer, MAX_DNS_RUNS, MAX_WRITE_SECONDS, type DnsAnswerRun, type WriteSecond } from '../../../infra/local/drill/drill-writer.ts';
import { summarizeDrill, withVerdict, writerSeriesFromKill } from '../../../infra/local/drill/summarize-drill.ts';

describe('the drill writer keeps bounded series', () => {
  it('counts attempts per wall-clock second', () => {
    const seconds: WriteSecond[] = [];
    countAttempt(seconds, 10_100, true);
    countAttempt(seconds, 10_900, false);
    countAttempt(seconds, 10_950, true);
    countAttempt(seconds, 12_000, false);
    expect(seconds).toEqual([{ second: 10, acknowledged: 2, failed: 1 }, { second: 12, acknowledged: 0, failed: 1 }]);
  });

  it('stops adding seconds past MAX_WRITE_SECONDS', () => {
    const seconds: WriteSecond[] = [];
    for (let s = 0; s < MAX_WRITE_SECONDS + 10; s++) countAttempt(seconds, s * 1000, true);
    expect(seconds).toHaveLength(MAX_WRITE_SECONDS);
  });

  it('folds DNS answers into runs of the same answer; past MAX_DNS_RUNS the last run absorbs the rest', () => {
    const runs: DnsAnswerRun[] = [];
    foldDnsAnswer(runs, 0, '127.0.1.1');
    foldDnsAnswer(runs, 1000, '127.0.1.1');
    foldDnsAnswer(runs, 2000, null);
    foldDnsAnswer(runs, 3000, '127.0.2.1');
    expect(runs).toEqual([
      { answer: '127.0.1.1', fromAt: 0, toAt: 1000, queries: 2 },
      { answer: null, fromAt: 2000, toAt: 2000, queries: 1 },
      { answer: '127.0.2.1', fromAt: 3000, toAt: 3000, queries: 1 },
    ]);
    const many: DnsAnswerRun[] = [];
    for (let i = 0; i < MAX_DNS_RUNS + 50; i++) foldDnsAnswer(many, i, String(i % 2));
    expect(many).toHaveLength(MAX_DNS_RUNS);
    expect(many.at(-1)).toMatchObject({ toAt: MAX_DNS_RUNS + 49, queries: 51 });
  });
});

describe('series relative to the kill', () => {
  it('fills empty seconds with zeros and makes DNS times relative to the kill', () => {
    const series = writerSeriesFromKill(10_500, {
      seconds: [{ second: 9, acknowledged: 5, failed: 0 }, { second: 12, acknowledged: 3, failed: 1 }],
      dnsAnswers: [{ answer: '127.0.1.1', fromAt: 9000, toAt: 10_000, queries: 2 }, { answer: '127.0.2.1', fromAt: 12_000, toAt: 12_500, queries: 1 }],
    });
    expect(series.writesPerSecond).toEqual([
      { second: -1, fromMs: -1500, acknowledged: 5, failed: 0 },
      { second: 0, fromMs: -500, acknowledged: 0, failed: 0 },
      { second: 1, fromMs: 500, acknowledged: 0, failed: 0 },
      { second: 2, fromMs: 1500, acknowledged: 3, failed: 1 },
    ]);
    expect(series.dnsAnswers).toEqual([{ answer: '127.0.1.1', fromMs: -1500, toMs: -500, queries: 2 }, { answer: '127.0.2.1', fromMs: 1500, toMs: 2000, queries: 1 }]);
    expect(writerSeriesFromKill(0, undefined)).toEqual({ writesPerSecond: [], dnsAnswers: [] });
  });
});

describe('the report charts writes per second and DNS over time', () => {
  const perSecond = [
    { second: -1, fromMs: -1000, acknowledged: 40, failed: 0 },
    { second: 0, fromMs: 0, acknowledged: 10, failed: 30 },
    { second: 1, fromMs: 1000, acknowledged: 0, failed: 0 },
    { second: 2, fromMs: 2000, acknowledged: 40, failed: 0 },
  ];
  const dns = [
    { answer: '127.0.1.1', fromMs: -1000, toMs: 500, queries: 2 },
    { answer: null, fromMs: 800, toMs: 800, queries: 1 },
    { answer: '127.0.2.1', fromMs: 1500, toMs: 3000, queries: 2 },
  ];

  it('draws one acknowledged bar per second with writes and a failed bar only where some failed, scaled to the busiest second', () => {
    const svg = renderWritesSvg(perSecond, seriesDomain(perSecond, dns));
    expect(svg).toMatch(/^<svg [^>]*id="writes-chart"/);
    expect(svg.match(/class="ack"/g)).toHaveLength(3 + 1); // three seconds with acknowledged writes + the legend swatch
    expect(svg.match(/class="failed"/g)).toHaveLength(1 + 1);
    expect(svg).toContain('<title>+0.00s → +1.00s: 10 acknowledged, 30 failed</title>');
    expect(svg).toContain('>40/s</text>');
    expect(svg).toContain('primary killed');
    // The busiest second fills the plot (150 px); the failed part of second 0 is 3/4 of it.
    expect(svg).toMatch(/height="150\.0" class="ack"/);
    expect(svg).toMatch(/height="112\.5" class="failed"/);
  });

  it('colours each DNS run by stack (the answer before the kill is the primary) and lists the changes', () => {
    const svg = renderDnsSvg(dns, '127.0.1.1', seriesDomain(perSecond, dns));
    expect(svg).toMatch(/^<svg [^>]*id="dns-chart"/);
    expect([...svg.matchAll(/class="dns-(\w+)"/g)].map((m) => m[1])).toEqual(['primary', 'none', 'twin']);
    expect(svg).toContain('127.0.2.1 (twin): 1.50s → 3.00s, 2 queries');
    const list = renderDnsList(dns, '127.0.1.1');
    expect(list).toContain('+1.50 s → +3.00 s: <code>127.0.2.1</code> (twin), 2 queries');
    expect(list).toContain('<code>no answer</code>, 1 query');
  });

  it('shares one x axis: the same second lands at the same x in both charts', () => {
    const domain = seriesDomain(perSecond, dns);
    expect(domain).toEqual({ startMs: -1000, endMs: 3000 });
    const killX = (svg: string) => /<line x1="([\d.]+)"[^>]*class="kill"/.exec(svg)?.[1];
    expect(killX(renderWritesSvg(perSecond, domain))).toBe(killX(renderDnsSvg(dns, '127.0.1.1', domain)));
  });

  it('says so when nothing was recorded, and the page carries both charts', () => {
    expect(renderWritesSvg([])).toMatch(/no per-second counts/);
    expect(renderDnsSvg([], null)).toMatch(/no DNS answers/);
    const summary = summarizeDrill({
      killAt: 10_000,
      acknowledged: [{ id: 1, at: 9_000 }],
      idsOnPromotedTwin: {},
      failoverStatus: 'SUCCEEDED',
      databases: [],
      wallMs: 1,
      writer: { seconds: [{ second: 9, acknowledged: 1, failed: 0 }], dnsAnswers: [{ answer: '127.0.1.1', fromAt: 8_000, toAt: 9_000, queries: 2 }] },
    });
    const html = renderDrillReport(withVerdict(summary, { passed: true, reasons: [] }), []);
    expect(html).toMatch(/<section id="writes">[\s\S]*id="writes-chart"/);
    expect(html).toMatch(/<section id="dns">[\s\S]*id="dns-chart"/);
  });
});
