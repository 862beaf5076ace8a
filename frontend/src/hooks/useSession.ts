import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import type { WorkspaceAPI } from '../api';
import { initialState, SpecSession, type SessionState } from '../design/session';
import { useEvent } from './backend';

const noSubscribe = () => () => {};

/** The editing session of one API: created (and loaded) when the API changes, disposed after. */
export function useSession(ws: WorkspaceAPI, api: string): [SpecSession | null, SessionState] {
  const [session, setSession] = useState<SpecSession | null>(null);

  useEffect(() => {
    if (!api) {
      setSession(null);
      return;
    }
    const s = new SpecSession(ws, api);
    setSession(s);
    void s.load();
    return () => s.dispose();
  }, [ws, api]);

  const active = session && session.api === api ? session : null;
  const loading = useMemo(() => initialState(api), [api]);
  const state = useSyncExternalStore(active?.subscribe ?? noSubscribe, active?.getState ?? (() => loading));
  useEvent('document:changed', (p) => {
    if (active && p.api === active.api) active.diskChanged(p.text, p.error ?? '');
  });
  return [active, state];
}
