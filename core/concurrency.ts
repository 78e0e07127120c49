/**
 * Waits for every promise to settle, then resolves with their values in
 * order or rejects with the first rejection (by position). Unlike
 * `Promise.all`, nothing is still running when it rejects: a caller that
 * closes a resource afterwards does not pull it from under work in flight.
 */
export async function settleAll<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

/**
 * `fn` over `items` with at most `limit` calls in flight; results in item
 * order. After the first rejection no new call starts; the calls already
 * started run to their end, and then the whole rejects with that first
 * rejection.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await settleAll(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}

/** `0 … n−1` in `parts` runs of consecutive indices (at most `n` runs, sizes differing by at most one). */
export function splitEvenly(n: number, parts: number): number[][] {
  const p = Math.max(1, Math.min(n, parts));
  return Array.from({ length: p }, (_, k) => {
    const lo = Math.round((k * n) / p);
    const hi = Math.round(((k + 1) * n) / p);
    return Array.from({ length: hi - lo }, (_, j) => lo + j);
  });
}
