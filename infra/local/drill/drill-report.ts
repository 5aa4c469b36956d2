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
import type { DrillSummary } from './summarize-drill.ts';

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

function unitOf(lagUnit: string): string {
  return lagUnit === 'bytes' ? 'bytes' : lagUnit;
}

/** The whole page. */
export function renderDrillReport(summary: DrillSummary, rows: readonly TimelineRow[], options: { readonly generatedAt?: string } = {}): string {
  const verdict = summary.ok ? 'PASSED' : 'FAILED';
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
.verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;background:${summary.ok ? '#1a7f37' : '#cf222e'};font-weight:600}
.muted{color:#6e7781}.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:10px 14px;min-width:170px}.badcard{border-color:#cf222e}
.k{color:#57606a;font-size:12px;text-transform:uppercase;letter-spacing:.04em}.v{font-size:26px;font-weight:600}.d{color:#6e7781;font-size:12px;max-width:210px}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
.ok{color:#1a7f37}.badtext{color:#cf222e}code{background:#eef1f4;padding:1px 4px;border-radius:3px}
svg{background:#fff;border:1px solid #d0d7de;border-radius:6px}
svg .label{font-size:11px;text-anchor:end;fill:#1d2330}svg .tick{font-size:10px;text-anchor:middle;fill:#6e7781}svg .dur{font-size:10px;fill:#57606a}
svg .grid{stroke:#eaeef2}svg .phase{fill:#0969da}svg .state{fill:#54aeff}svg .warn{fill:#d4a72c}svg .bad{fill:#cf222e}svg .mark{fill:#8250df}
</style></head><body>
<h1>twinstack drill <span class="verdict" id="verdict">${verdict}</span></h1>
<p class="muted">Failover ${escapeHtml(summary.failoverStatus)}${summary.error ? ` — ${escapeHtml(summary.error)}` : ''}; the drill took ${escapeHtml(ms(summary.wallMs))}${options.generatedAt ? `; report written ${escapeHtml(options.generatedAt)}` : ''}.</p>
<section id="headline"><div class="cards">${headline}</div></section>
<section><h2>Databases: writes acknowledged and lost</h2>${databases}</section>
<section><h2>The decision's reasons</h2>${reasons}</section>
<section><h2>What DNS answered</h2>${dns}${deploy}</section>
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
