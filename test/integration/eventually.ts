/** Poll `probe` until it returns a value: bounded by 400 tries and `timeoutMs`, `intervalMs` apart; the last error is reported. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (let i = 0; i < 400 && Date.now() < deadline; i++) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error instanceof Error ? error.message : JSON.stringify(error);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${what}: not reached within ${timeoutMs} ms${last ? ` (last error: ${last})` : ''}`);
}
