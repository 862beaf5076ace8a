import { useCallback, useEffect, useRef, useState } from 'react';
import type { APISummary } from '../api';
import { errorMessage } from '../api';
import { Latest } from '../lib/async';
import { useBackend, useEvent } from './backend';

export interface ApisState {
  apis: APISummary[];
  loaded: boolean;
  error: string;
  reload(): Promise<void>;
}

/** The workspace's APIs, reloaded on `apis:changed`. */
export function useApis(): ApisState {
  const { workspace } = useBackend();
  const [apis, setApis] = useState<APISummary[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState('');
  const latest = useRef(new Latest());

  const reload = useCallback(async () => {
    try {
      const r = await latest.current.run(() => workspace.ListAPIs());
      if (!r.current) return;
      setApis(r.value);
      setError('');
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setLoaded(true);
    }
  }, [workspace]);

  useEffect(() => {
    void reload();
  }, [reload]);
  useEvent('apis:changed', () => void reload());

  return { apis, loaded, error, reload };
}
