/**
 * A scope around one training step's forward passes, for what those passes share (the feature
 * projections of lib/nn/fixed-features.ts, the kept branches of lib/nn/same-in-every-pass.ts).
 * `open()` starts the scope and returns true, or returns false when one is open already (a nested
 * call then just runs `f`); `close()` ends it once `f` has returned or thrown, or, when `f`
 * returns a Promise (a loss that waits for host values), once that Promise settles.
 */
export function inStepScope<T>(open: () => boolean, close: () => void, f: () => T): T {
  if (!open()) return f();
  let r: T;
  try {
    r = f();
  } catch (e) {
    close();
    throw e;
  }
  if (r instanceof Promise) return r.finally(close) as T;
  close();
  return r;
}
