/**
 * The drill's report a person reads: `drill-report/index.html`, one self-contained
 * page (inline CSS and SVG; no script, no font, no network). `renderDrillReport` is
 * pure (summary + timeline rows in, HTML out); `writeDrillReport` writes it.
 *
 * Invariant: every value from the drill is HTML-escaped (reasons and errors quote
 * remote output).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TimelineRow } from './drill-timeline.ts';
import type { DnsAnswerSpan, DrillSummary, WritesInSecond } from './summarize-drill.ts';

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const ms = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);

/** Colour of a bar from its status: ok green, caught/held amber, failed red. */
function barClass(row: TimelineRow): string {
  const s = (row.status ?? '').toLowerCase();
  if (/fail|error|drift/.test(s)) return 'bad';
  if (/caught|held|hold|retry/.test(s)) return 'warn';
  return row.label.startsWith('  ') ? 'state' : 'phase';
}

/** An SVG Gantt of the rows: bars for phases and workflow states, diamonds for point events. */
export function renderTimelineSvg(rows: readonly TimelineRow[], width = 1100): string {
  const sorted = [...rows].sort((a, b) => a.startMs - b.startMs);
  if (sorted.length === 0) return '<p class="muted">No timeline was recorded.</p>';
  const labelWidth = 420;
  const rowHeight = 20;
  const top = 24;
  const end = Math.max(...sorted.map((r) => r.startMs + (r.durationMs ?? 0)), 1);
  const start = Math.min(...sorted.map((r) => r.startMs));
  const span = Math.max(end - start, 1);
  const plot = width - labelWidth - 20;
  const x = (t: number) => labelWidth + ((t - start) / span) * plot;
  const ticks = 6;
  const axis = Array.from({ length: ticks + 1 }, (_, i) => {
    const t = start + (span * i) / ticks;
    return `<line x1="${x(t).toFixed(1)}" y1="${top - 6}" x2="${x(t).toFixed(1)}" y2="${top + sorted.length * rowHeight}" class="grid"/><text x="${x(t).toFixed(1)}" y="${top - 10}" class="tick">+${(t / 1000).toFixed(1)}s</text>`;
  }).join('');
  const bars = sorted
    .map((r, i) => {
      const y = top + i * rowHeight;
      const label = `<text x="${labelWidth - 8}" y="${y + 14}" class="label">${escapeHtml(r.label.trim().slice(0, 60))}</text>`;
      const title = `<title>${escapeHtml(`${r.label.trim()} — +${(r.startMs / 1000).toFixed(3)}s${r.durationMs === undefined ? '' : `, ${r.durationMs} ms`}${r.status ? `, ${r.status}` : ''}`)}</title>`;
      if (r.durationMs === undefined) {
        const cx = x(r.startMs);
        return `<g>${title}${label}<path d="M${cx.toFixed(1)} ${y + 3} l6 7 l-6 7 l-6 -7 z" class="mark"/></g>`;
      }
      const w = Math.max((r.durationMs / span) * plot, 2);
      const text = `<text x="${(x(r.startMs) + w + 4).toFixed(1)}" y="${y + 14}" class="dur">${escapeHtml(ms(r.durationMs))}</text>`;
      return `<g>${title}${label}<rect x="${x(r.startMs).toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 6}" rx="2" class="${barClass(r)}"/>${text}</g>`;
    })
    .join('');
  const height = top + sorted.length * rowHeight + 8;
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="drill timeline" id="timeline" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${axis}${bars}</svg>`;
}

/** The x range (ms from the kill) both series charts share, so their seconds line up. */
export function seriesDomain(perSecond: readonly WritesInSecond[], dns: readonly DnsAnswerSpan[]): { startMs: number; endMs: number } | undefined {
  const starts = [...perSecond.map((p) => p.fromMs), ...dns.map((d) => d.fromMs)];
  const ends = [...perSecond.map((p) => p.fromMs + 1000), ...dns.map((d) => d.toMs)];
  if (starts.length === 0) return undefined;
  const startMs = Math.min(...starts);
  return { startMs, endMs: Math.max(...ends, startMs + 1000) };
}

const SERIES_LEFT = 70;

function seriesAxis(domain: { startMs: number; endMs: number }, width: number, top: number, bottom: number, killLabelY = top + 6): { x: (ms: number) => number; grid: string; kill: string } {
  const plot = width - SERIES_LEFT - 20;
  const span = Math.max(domain.endMs - domain.startMs, 1);
  const x = (t: number) => SERIES_LEFT + ((t - domain.startMs) / span) * plot;
  const step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600].find((s) => span / 1000 / s <= 12) ?? 1200;
  const ticks: string[] = [];
  for (let t = Math.ceil(domain.startMs / 1000 / step) * step; t * 1000 <= domain.endMs && ticks.length < 40; t += step) {
    const tx = x(t * 1000).toFixed(1);
    ticks.push(`<line x1="${tx}" y1="${top}" x2="${tx}" y2="${bottom}" class="grid"/><text x="${tx}" y="${bottom + 12}" class="tick">${t > 0 ? '+' : ''}${t}s</text>`);
  }
  const kill = domain.startMs <= 0 && domain.endMs >= 0 ? `<line x1="${x(0).toFixed(1)}" y1="${top - 4}" x2="${x(0).toFixed(1)}" y2="${bottom}" class="kill"/><text x="${(x(0) + 4).toFixed(1)}" y="${killLabelY}" class="killtext">primary killed</text>` : '';
  return { x, grid: ticks.join(''), kill };
}

/** An SVG bar chart: per second (from the kill), writes acknowledged (green) with the failed attempts (red) stacked on top. */
export function renderWritesSvg(perSecond: readonly WritesInSecond[], domain = seriesDomain(perSecond, []), width = 1100): string {
  if (perSecond.length === 0 || !domain) return '<p class="muted">The writer recorded no per-second counts.</p>';
  const top = 14;
  const plotHeight = 150;
  const bottom = top + plotHeight;
  const max = Math.max(1, ...perSecond.map((p) => p.acknowledged + p.failed));
  const { x, grid, kill } = seriesAxis(domain, width, top, bottom);
  const y = (n: number) => (n / max) * plotHeight;
  const bars = perSecond
    .map((p) => {
      const x0 = x(p.fromMs);
      const w = Math.max(x(p.fromMs + 1000) - x0 - 1, 1);
      const ack = y(p.acknowledged);
      const failed = y(p.failed);
      const at = (v: number) => `${v >= 0 ? '+' : ''}${(v / 1000).toFixed(2)}s`;
      const title = `<title>${escapeHtml(`${at(p.fromMs)} → ${at(p.fromMs + 1000)}: ${p.acknowledged} acknowledged, ${p.failed} failed`)}</title>`;
      return `<g>${title}${p.acknowledged ? `<rect x="${x0.toFixed(1)}" y="${(bottom - ack).toFixed(1)}" width="${w.toFixed(1)}" height="${ack.toFixed(1)}" class="ack"/>` : ''}${p.failed ? `<rect x="${x0.toFixed(1)}" y="${(bottom - ack - failed).toFixed(1)}" width="${w.toFixed(1)}" height="${failed.toFixed(1)}" class="failed"/>` : ''}</g>`;
    })
    .join('');
  const scale = `<text x="${SERIES_LEFT - 6}" y="${top + 8}" class="label">${max}/s</text><text x="${SERIES_LEFT - 6}" y="${bottom}" class="label">0</text>`;
  const legend = `<rect x="${SERIES_LEFT}" y="${bottom + 22}" width="10" height="10" class="ack"/><text x="${SERIES_LEFT + 14}" y="${bottom + 31}" class="dur">acknowledged</text><rect x="${SERIES_LEFT + 110}" y="${bottom + 22}" width="10" height="10" class="failed"/><text x="${SERIES_LEFT + 124}" y="${bottom + 31}" class="dur">failed (error, timeout or not 201)</text>`;
  const height = bottom + 40;
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="writes acknowledged and failed per second" id="writes-chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${grid}${scale}${bars}${kill}${legend}</svg>`;
}

/** Which stack an answer is: the one before the kill is the primary's; null a failed query. */
function answerRole(answer: string | null, dnsBefore: string | null): 'primary' | 'twin' | 'none' {
  if (answer === null) return 'none';
  return answer === dnsBefore ? 'primary' : 'twin';
}

/** An SVG band: what the group's name answered over time (each run of the same answer one segment), on the writes chart's axis. */
export function renderDnsSvg(dns: readonly DnsAnswerSpan[], dnsBefore: string | null, domain = seriesDomain([], dns), width = 1100): string {
  if (dns.length === 0 || !domain) return '<p class="muted">The writer recorded no DNS answers.</p>';
  const top = 16;
  const bandHeight = 26;
  const bottom = top + bandHeight;
  const { x, grid, kill } = seriesAxis(domain, width, top, bottom, top - 5);
  const segments = dns
    .map((d, i) => {
      const until = dns[i + 1]?.fromMs ?? d.toMs;
      const x0 = x(d.fromMs);
      const w = Math.max(x(until) - x0, 2);
      const role = answerRole(d.answer, dnsBefore);
      const text = `${d.answer ?? 'no answer'}${role === 'none' ? '' : ` (${role})`}`;
      const title = `<title>${escapeHtml(`${text}: ${(d.fromMs / 1000).toFixed(2)}s → ${(d.toMs / 1000).toFixed(2)}s, ${d.queries} ${d.queries === 1 ? 'query' : 'queries'}`)}</title>`;
      const label = w > text.length * 6.5 ? `<text x="${(x0 + 6).toFixed(1)}" y="${top + 17}" class="bandtext">${escapeHtml(text)}</text>` : '';
      return `<g>${title}<rect x="${x0.toFixed(1)}" y="${top}" width="${w.toFixed(1)}" height="${bandHeight}" class="dns-${role}"/>${label}</g>`;
    })
    .join('');
  const height = bottom + 20;
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="what DNS answered over time" id="dns-chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><text x="${SERIES_LEFT - 6}" y="${top + 17}" class="label">answer</text>${grid}${segments}${kill}</svg>`;
}

/** The DNS answers as a short list (one line per change), under the band. */
export function renderDnsList(dns: readonly DnsAnswerSpan[], dnsBefore: string | null): string {
  if (dns.length === 0) return '';
  const at = (v: number) => `${v >= 0 ? '+' : ''}${(v / 1000).toFixed(2)} s`;
  return `<ul class="dnslist">${dns
    .slice(0, 20)
    .map((d) => {
      const role = answerRole(d.answer, dnsBefore);
      return `<li>${escapeHtml(at(d.fromMs))} → ${escapeHtml(at(d.toMs))}: <code>${escapeHtml(d.answer ?? 'no answer')}</code>${role === 'none' ? '' : ` (${role})`}, ${d.queries} ${d.queries === 1 ? 'query' : 'queries'}</li>`;
    })
    .join('')}${dns.length > 20 ? `<li class="muted">… ${dns.length - 20} more changes</li>` : ''}</ul>`;
}

function unitOf(lagUnit: string): string {
  return lagUnit === 'bytes' ? 'bytes' : lagUnit;
}

/** The whole page. */
export function renderDrillReport(summary: DrillSummary, rows: readonly TimelineRow[], options: { readonly generatedAt?: string } = {}): string {
  // One verdict: the scenario's property (`passed`, which `ok` equals).
  const passed = summary.passed;
  const verdict = passed ? 'PASSED' : 'FAILED';
  const scenario = summary.scenario
    ? `<section id="scenario"><h2>Scenario ${escapeHtml(summary.scenario)}</h2><p>${escapeHtml(summary.property ?? '')}</p><ul>${summary.propertyReasons.map((r) => `<li class="${r.startsWith('ok:') ? 'ok' : 'badtext'}">${escapeHtml(r)}</li>`).join('')}</ul></section>`
    : '';
  const headline = [
    ['RTO', ms(summary.rtoMs), 'primary killed → first write acknowledged through the group name'],
    ['Detection', ms(summary.detectionMs), 'primary killed → health alarm'],
    ['Orchestration', ms(summary.orchestrationMs), 'alarm → DNS switched and verified'],
    ['Writes acknowledged', String(summary.acknowledged), `${summary.acknowledgedAfterFailover} after the failover`],
    ['Writes lost', String(summary.lost), summary.lost === 0 ? 'every acknowledged write is on the promoted twin' : `ids ${summary.lostIds.slice(0, 10).join(', ')}`],
  ]
    .map(([k, v, d]) => `<div class="card${k === 'Writes lost' && summary.lost > 0 ? ' badcard' : ''}"><div class="k">${escapeHtml(k)}</div><div class="v">${escapeHtml(v)}</div><div class="d">${escapeHtml(d)}</div></div>`)
    .join('');
  const databases = summary.databases.length === 0
    ? '<p class="muted">No database was measured.</p>'
    : `<table><thead><tr><th>database</th><th>engine</th><th>mode</th><th>promoted</th><th>acknowledged</th><th>lost</th><th>estimated loss</th><th>reasons</th></tr></thead><tbody>${summary.databases
        .map(
          (d) =>
            `<tr><td>${escapeHtml(d.name)}</td><td>${escapeHtml(d.engine)}</td><td>${escapeHtml(d.mode)}</td><td class="${d.promoted ? 'ok' : 'badtext'}">${d.promoted ? 'yes' : 'no'}</td><td>${d.acknowledged}</td><td class="${d.lost === 0 ? 'ok' : 'badtext'}">${d.lost}</td><td>${d.loss === null ? 'unknown' : `${d.loss} ${escapeHtml(unitOf(d.lagUnit))}`}</td><td>${d.reasons.map((r) => escapeHtml(r)).join('<br>')}</td></tr>`,
        )
        .join('')}</tbody></table>`;
  const reasons = summary.failoverReasons.length === 0 ? '<p class="muted">The decision gave no reasons.</p>' : `<ul>${summary.failoverReasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul>`;
  const dns = `<p>Before the kill the group's name answered <code>${escapeHtml(summary.dnsBefore ?? 'nothing')}</code>; after the failover it answered <code>${escapeHtml(summary.dnsAfter ?? 'nothing')}</code>${summary.dnsBefore && summary.dnsAfter && summary.dnsBefore !== summary.dnsAfter ? ' (switched to the twin)' : ' (not switched)'}.</p>`;
  const perSecond = summary.writesPerSecond ?? [];
  const dnsAnswers = summary.dnsAnswers ?? [];
  const domain = seriesDomain(perSecond, dnsAnswers);
  const dnsOverTime = `<p class="muted">The drill's writer resolves the group's name once per TTL (as a stub resolver caches it); times are from the kill.</p>${renderDnsSvg(dnsAnswers, summary.dnsBefore, domain)}${renderDnsList(dnsAnswers, summary.dnsBefore)}`;
  const writes = renderWritesSvg(perSecond, domain);
  const deploy = summary.deploy
    ? `<p>Revision <code>${escapeHtml(summary.deploy.revision.slice(0, 12))}</code> deployed in ${escapeHtml(ms(summary.deploy.durationMs))}: ${Object.entries(summary.deploy.deployed)
        .map(([stack, rev]) => `${escapeHtml(stack)} at <code>${escapeHtml((rev ?? 'none').slice(0, 12))}</code> (image <code>${escapeHtml((summary.deploy?.images[stack] ?? 'none').slice(0, 19))}</code>)`)
        .join(', ')}.</p>`
    : '';
  const errors = summary.errors.length === 0 ? '' : `<section><h2>Errors</h2><ul class="badtext">${summary.errors.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul></section>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>twinstack drill: ${verdict}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d2330;background:#fafbfc}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;background:${passed ? '#1a7f37' : '#cf222e'};font-weight:600}
.muted{color:#6e7781}.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:10px 14px;min-width:170px}.badcard{border-color:#cf222e}
.k{color:#57606a;font-size:12px;text-transform:uppercase;letter-spacing:.04em}.v{font-size:26px;font-weight:600}.d{color:#6e7781;font-size:12px;max-width:210px}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
.ok{color:#1a7f37}.badtext{color:#cf222e}code{background:#eef1f4;padding:1px 4px;border-radius:3px}
svg{background:#fff;border:1px solid #d0d7de;border-radius:6px}
svg .label{font-size:11px;text-anchor:end;fill:#1d2330}svg .tick{font-size:10px;text-anchor:middle;fill:#6e7781}svg .dur{font-size:10px;fill:#57606a}
svg .grid{stroke:#eaeef2}svg .ack{fill:#2da44e}svg .failed{fill:#cf222e}svg .kill{stroke:#cf222e;stroke-dasharray:4 3}svg .killtext{font-size:10px;fill:#cf222e}
svg .dns-primary{fill:#0969da}svg .dns-twin{fill:#2da44e}svg .dns-none{fill:#cf222e}svg .bandtext{font-size:11px;fill:#fff}.dnslist{margin:6px 0;color:#57606a;font-size:12px}svg .phase{fill:#0969da}svg .state{fill:#54aeff}svg .warn{fill:#d4a72c}svg .bad{fill:#cf222e}svg .mark{fill:#8250df}
</style></head><body>
<h1>twinstack drill <span class="verdict" id="verdict">${verdict}</span></h1>
<p class="muted">Failover ${escapeHtml(summary.failoverStatus)}${summary.error ? ` — ${escapeHtml(summary.error)}` : ''} (failover invariants ${summary.failoverInvariantsHeld ? 'held' : 'not held'}; DNS ${summary.dnsMoved ? 'moved' : 'did not move'})${summary.clone ? `; twin ${escapeHtml(summary.clone.twin)} cloned in ${escapeHtml(ms(summary.clone.durationMs))} (${summary.clone.hosts} host${summary.clone.hosts === 1 ? '' : 's'})` : ''}; the drill took ${escapeHtml(ms(summary.wallMs))}${options.generatedAt ? `; report written ${escapeHtml(options.generatedAt)}` : ''}.</p>
${scenario}
<section id="headline"><div class="cards">${headline}</div></section>
<section><h2>Databases: writes acknowledged and lost</h2>${databases}</section>
<section><h2>The decision's reasons</h2>${reasons}</section>
<section id="dns"><h2>What DNS answered</h2>${dns}${dnsOverTime}${deploy}</section>
<section id="writes"><h2>Writes acknowledged and failed per second</h2>${writes}</section>
<section><h2>Timeline</h2>${renderTimelineSvg(rows)}</section>
${errors}
</body></html>
`;
}

/** Writes `<reportDir>/index.html` atomically; returns its path. */
export function writeDrillReport(reportDir: string, summary: DrillSummary, rows: readonly TimelineRow[]): string {
  const file = join(reportDir, 'index.html');
  writeFileSync(`${file}.tmp`, renderDrillReport(summary, rows, { generatedAt: new Date().toISOString() }));
  renameSync(`${file}.tmp`, file);
  return file;
}
