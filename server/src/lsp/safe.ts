// A handler must never take the server down: an exception becomes a logged error and an empty result.
// An error the handler means as its answer (`passThrough`, e.g. a cancellation) is rethrown for the
// connection to send as an error response.

export function safe<P, R>(
  what: string,
  fallback: R,
  fn: (params: P) => R | Promise<R>,
  log: (message: string) => void,
  passThrough: (err: unknown) => boolean = () => false,
): (params: P) => Promise<R> {
  return async (params) => {
    try {
      return await fn(params);
    } catch (err) {
      if (passThrough(err)) throw err;
      log(`memlens: ${what} failed: ${errorText(err)}`);
      return fallback;
    }
  };
}

export function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
