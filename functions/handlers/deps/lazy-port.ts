/**
 * A port whose adapter is built on its first method call. Lambda bundles leave the AWS SDK
 * external and load it with `import()` only when a step first uses a client, so a step pays
 * for exactly the clients it uses (DESIGN: one client per module, created once).
 *
 * Invariant: `load` runs at most once (a rejected load is retried on the next call, so a
 * transient failure does not poison the container); every method of the port is async.
 */
export function lazyPort<T extends object>(load: () => Promise<T>): T {
  let loading: Promise<T> | undefined;
  const port = () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
  return new Proxy({} as T, {
    get(_target, method) {
      if (method === 'then') return undefined; // not a thenable: `await deps.params` must not call load
      return async (...args: unknown[]) => {
        const adapter = await port();
        const fn = (adapter as Record<PropertyKey, unknown>)[method];
        if (typeof fn !== 'function') throw new TypeError(`port has no method ${String(method)}`);
        return (fn as (...a: unknown[]) => unknown).apply(adapter, args);
      };
    },
  });
}
