// A signal the hosted views share: after a login, logout or publish, every view of
// catalog state reloads.

const listeners = new Set<() => void>();

/** Subscribes cb to hosted changes; returns the unsubscribe function. */
export function onHostedChanged(cb: () => void): () => void {
  listeners.add(cb);
  return () => listeners.delete(cb);
}

/** Tells every hosted view to reload. */
export function hostedChanged(): void {
  for (const cb of [...listeners]) cb();
}
