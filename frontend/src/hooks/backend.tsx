import { createContext, useContext, useEffect, useRef, type ReactNode } from 'react';
import type { Backend, EventMap, EventName } from '../api';

const BackendContext = createContext<Backend | null>(null);

export function BackendProvider({ backend, children }: { backend: Backend; children: ReactNode }) {
  return <BackendContext.Provider value={backend}>{children}</BackendContext.Provider>;
}

export function useBackend(): Backend {
  const b = useContext(BackendContext);
  if (!b) throw new Error('useBackend outside BackendProvider');
  return b;
}

/** Subscribes to a backend event for the component's lifetime; cb may change between renders. */
export function useEvent<E extends EventName>(name: E, cb: (payload: EventMap[E]) => void): void {
  const { events } = useBackend();
  const ref = useRef(cb);
  ref.current = cb;
  useEffect(() => events.on(name, (p) => ref.current(p)), [events, name]);
}
