import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { loadBackend, type FakeOptions } from './api';
import { BackendProvider } from './hooks/backend';
import { NotifyProvider } from './hooks/notify';
import './styles/theme.css';
import './styles/app.css';

/** Options for the in-browser fake, from the query string: ?traffic=5000&rate=50&burst=100000&latency=40&empty */
function fakeOptions(search: string): FakeOptions {
  const q = new URLSearchParams(search);
  const num = (k: string, d: number) => {
    const v = Number(q.get(k));
    return Number.isFinite(v) && v >= 0 && q.has(k) ? v : d;
  };
  return {
    seedTraffic: num('traffic', 0),
    liveRate: num('rate', 0),
    burst: num('burst', 0),
    latencyMs: num('latency', 30),
    empty: q.has('empty'),
    bridge: true,
    download: true,
  };
}

async function main() {
  const el = document.getElementById('root');
  if (!el) throw new Error('index.html has no #root element');
  const backend = await loadBackend(window, fakeOptions(location.search));
  document.documentElement.dataset.backend = backend.kind;
  createRoot(el).render(
    <StrictMode>
      <BackendProvider backend={backend}>
        <NotifyProvider>
          <App />
        </NotifyProvider>
      </BackendProvider>
    </StrictMode>,
  );
}

main().catch((e: unknown) => {
  const el = document.getElementById('root');
  if (el) el.textContent = `Gantry could not start its interface: ${e instanceof Error ? e.message : String(e)}`;
});
