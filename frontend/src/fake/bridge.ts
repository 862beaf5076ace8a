// Browser side of the dev server's fake gateway (dev/fake-gateway.ts): while
// the fake gateway "runs", real HTTP requests sent to the dev server under
// PREFIX come back here as exchanges over server-sent events.

import type { ExchangeDetail } from '../api';

export const BRIDGE_ROOT = '/__gantry_fake';

export interface BridgeHealth {
  ok: boolean;
  /** Path prefix below which the dev server answers like a gateway. */
  prefix: string;
}

export interface Bridge {
  /** Origin + prefix the gateway's base URLs start with. */
  baseURL: string;
  close(): void;
}

/** Connects to the dev server's fake gateway; null when this server has none. */
export async function connectBridge(onExchange: (x: Omit<ExchangeDetail, 'id'>) => void, timeoutMs = 3000): Promise<Bridge | null> {
  if (typeof EventSource === 'undefined' || typeof location === 'undefined' || !location.origin.startsWith('http')) return null;
  let health: BridgeHealth;
  try {
    const res = await fetch(`${BRIDGE_ROOT}/health`, { cache: 'no-store' });
    if (!res.ok) return null;
    health = (await res.json()) as BridgeHealth;
    if (!health.ok) return null;
  } catch {
    return null;
  }
  const es = new EventSource(`${BRIDGE_ROOT}/events`);
  es.onmessage = (e: MessageEvent<string>) => {
    try {
      onExchange(JSON.parse(e.data) as Omit<ExchangeDetail, 'id'>);
    } catch {
      // A malformed event is dropped; the next one may be fine.
    }
  };
  const opened = await new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), timeoutMs);
    es.onopen = () => {
      clearTimeout(t);
      resolve(true);
    };
  });
  if (!opened) {
    es.close();
    return null;
  }
  return { baseURL: `${location.origin}${health.prefix}`, close: () => es.close() };
}
