import { useCallback, useEffect, useState } from 'react';
import type { GatewayStatus } from '../api';
import { errorMessage } from '../api';
import { useBackend, useEvent } from './backend';

export const DEFAULT_LISTEN = '127.0.0.1:4010';

const STOPPED: GatewayStatus = { running: false, listen: '', baseURL: '', apis: [], revision: 0, error: '' };

export interface GatewayState {
  status: GatewayStatus;
  busy: boolean;
  /** Why the last Start/Stop failed ("" when it did not). */
  error: string;
  /** Starts the gateway on listen for the named APIs (every API when apis is empty). */
  start(listen: string, apis?: string[]): Promise<void>;
  stop(): Promise<void>;
  toggle(listen: string, apis?: string[]): Promise<void>;
  clearError(): void;
}

export function useGateway(): GatewayState {
  const { gateway } = useBackend();
  const [status, setStatus] = useState<GatewayStatus>(STOPPED);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  useEffect(() => {
    let live = true;
    gateway.Status().then(
      (s) => live && setStatus(s),
      (e: unknown) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [gateway]);
  useEvent('gateway:status', setStatus);

  const run = useCallback(async (f: () => Promise<GatewayStatus>) => {
    setBusy(true);
    setError('');
    try {
      setStatus(await f());
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }, []);

  const start = useCallback((listen: string, apis: string[] = []) => run(() => gateway.Start(listen.trim(), apis)), [gateway, run]);
  const stop = useCallback(() => run(() => gateway.Stop()), [gateway, run]);
  const toggle = useCallback(
    (listen: string, apis: string[] = []) => (status.running ? stop() : start(listen, apis)),
    [status.running, start, stop],
  );
  const clearError = useCallback(() => setError(''), []);

  return { status, busy, error, start, stop, toggle, clearError };
}
