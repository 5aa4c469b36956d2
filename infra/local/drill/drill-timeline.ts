/**
 * The drill's readable timeline: one row per phase or workflow state, with its
 * start (relative to the drill's start) and duration.
 */
export interface TimelineRow {
  readonly label: string;
  readonly startMs: number;
  readonly durationMs?: number;
  readonly status?: string;
}

export class DrillTimeline {
  readonly rows: TimelineRow[] = [];
  private readonly open = new Map<string, number>();

  constructor(readonly origin: number) {}

  /** A point event (kill, alarm, DNS change). */
  mark(label: string, at = Date.now(), status?: string): void {
    this.rows.push({ label, startMs: at - this.origin, status });
  }

  begin(label: string, at = Date.now()): void {
    this.open.set(label, at);
  }

  end(label: string, status = 'ok', at = Date.now()): void {
    const start = this.open.get(label) ?? at;
    this.open.delete(label);
    this.rows.push({ label, startMs: start - this.origin, durationMs: at - start, status });
  }

  /** Fixed-width text, sorted by start. */
  render(): string {
    const sorted = [...this.rows].sort((a, b) => a.startMs - b.startMs);
    const width = Math.max(...sorted.map((r) => r.label.length), 10);
    const lines = sorted.map((r) => {
      const start = `+${(r.startMs / 1000).toFixed(3)}s`.padStart(10);
      const duration = r.durationMs === undefined ? '' : `${r.durationMs} ms`;
      return `${start}  ${r.label.padEnd(width)}  ${duration.padStart(9)}  ${r.status ?? ''}`.trimEnd();
    });
    return [`${'start'.padStart(10)}  ${'step'.padEnd(width)}  ${'duration'.padStart(9)}  status`, ...lines].join('\n');
  }
}
