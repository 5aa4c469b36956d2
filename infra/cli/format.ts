/** Terminal formatting for the CLI: aligned tables, colour only on a TTY. */
export type Colour = 'green' | 'red' | 'yellow' | 'dim' | 'bold';
const CODES: Record<Colour, [number, number]> = { green: [32, 39], red: [31, 39], yellow: [33, 39], dim: [2, 22], bold: [1, 22] };

export function paint(enabled: boolean | undefined): (text: string, colour: Colour) => string {
  return (text, colour) => (enabled ? `\u001b[${CODES[colour][0]}m${text}\u001b[${CODES[colour][1]}m` : text);
}

// eslint-disable-next-line no-control-regex
const visibleLength = (s: string) => s.replace(/\u001b\[\d+m/g, '').length;

/** Rows under a header, each column padded to its widest cell. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - visibleLength(c)))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** Green for success, yellow for held/running, red for failure. */
export function statusColour(status: string): Colour {
  if (/^(SUCCEEDED|ok|failed-over|promotable|yes|primary)$/i.test(status)) return 'green';
  if (/RUNNING|held|hold|drift|stale/i.test(status)) return 'yellow';
  if (/FAILED|error|unreachable|no|blocked/i.test(status)) return 'red';
  return 'dim';
}
