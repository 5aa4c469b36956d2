/** HealthProbe over global fetch: healthy means a 2xx answer within the timeout. */
import type { HealthProbe } from '../../core/ports.ts';

export class FetchHealthProbe implements HealthProbe {
  /** Never throws: faults (refused, timeout, bad URL) are reported as unhealthy with the reason. */
  async check(url: string, timeoutMs: number): Promise<{ readonly healthy: boolean; readonly detail: string }> {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
      await response.body?.cancel().catch(() => undefined);
      const healthy = response.status >= 200 && response.status < 300;
      return { healthy, detail: `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}` };
    } catch (error) {
      return { healthy: false, detail: describe(error, timeoutMs) };
    }
  }
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const code = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : undefined;
    return code ? `${error.message}: ${code}` : error.message;
  }
  return String(error);
}
