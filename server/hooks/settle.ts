/** How a hook's answer turned out. */
export type Settled<T> = { ok: true; value: T } | { ok: false; timedOut: false; error?: unknown } | { ok: false; timedOut: true };

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Wait for a hook's answer: a plain value is taken as it is, a promise for
 * at most `timeoutMs` (null: as long as it takes). Never rejects.
 */
export function settle(value: unknown, timeoutMs: number | null): Promise<Settled<unknown>> {
  if (!isThenable(value)) return Promise.resolve({ ok: true, value });
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | null = null;
    if (timeoutMs !== null) timer = setTimeout(() => resolve({ ok: false, timedOut: true }), timeoutMs);
    value.then(
      (result) => {
        if (timer) clearTimeout(timer);
        resolve({ ok: true, value: result });
      },
      (error: unknown) => {
        if (timer) clearTimeout(timer);
        resolve({ ok: false, timedOut: false, error });
      },
    );
  });
}

export { isThenable };
