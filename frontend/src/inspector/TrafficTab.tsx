import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { APISummary, ExchangeRow, GatewayStatus, StatusClass, TrafficFilter } from '../api';
import { errorMessage } from '../api';
import { ConfirmDialog } from '../components/Modal';
import { Icon } from '../components/Icon';
import { VirtualList, type VirtualListHandle } from '../components/VirtualList';
import { useBackend, useEvent } from '../hooks/backend';
import { useNotify } from '../hooks/notify';
import { debounce } from '../lib/async';
import { formatClock, formatDuration, pathWithQuery, plural } from '../lib/format';
import { label as keyLabel } from '../lib/keys';
import { emptyFilter, isFilterActive, METHODS, STATUS_CLASSES, statusClassOf } from '../traffic/filter';
import { TrafficStore } from '../traffic/store';
import { ExchangePane } from './ExchangePane';

export const ROW_HEIGHT = 28;

interface Selection {
  id: string;
  index: number;
}

function Row({ r }: { r: ExchangeRow }) {
  return (
    <>
      <span className="c-time">{formatClock(r.startedAt)}</span>
      <span className={`c-method method method-${r.method.toLowerCase()}`}>{r.method}</span>
      <span className={`c-status status status-${statusClassOf(r.status) || 'none'}`}>{r.status || '—'}</span>
      <span className="c-path" title={r.url}>
        {pathWithQuery(r)}
      </span>
      <span className="c-api">{r.api}</span>
      <span className="c-dur">{formatDuration(r.durationMs)}</span>
      <span className="c-viol">
        {r.violations > 0 && (
          <span className="viol-badge" title={plural(r.violations, 'violation')} aria-label={plural(r.violations, 'violation')}>
            {r.violations}
          </span>
        )}
      </span>
    </>
  );
}

export interface TrafficTabProps {
  apis: APISummary[];
  gateway: GatewayStatus;
  active: boolean;
}

export function TrafficTab({ apis, gateway, active }: TrafficTabProps) {
  const { traffic } = useBackend();
  const { notify } = useNotify();
  const store = useMemo(() => new TrafficStore(traffic), [traffic]);
  const list = useRef<VirtualListHandle>(null);
  const [filter, setFilter] = useState<TrafficFilter>(emptyFilter);
  const [text, setText] = useState('');
  const [sel, setSel] = useState<Selection | null>(null);
  const [confirmClear, setConfirmClear] = useState(false);
  const [exporting, setExporting] = useState(false);
  const version = useSyncExternalStore(store.subscribe, store.getVersion);

  useEffect(() => () => store.dispose(), [store]);
  useEvent('traffic:exchanges', (rows) => store.receive(rows));

  // Keep the rows under the reader still, and the selection on its row, as new rows arrive on top.
  useEffect(
    () =>
      store.subscribe((c) => {
        if (c.addedTop <= 0) return;
        list.current?.shiftBy(c.addedTop);
        setSel((s) => {
          if (!s) return s;
          if (s.index >= 0) return { ...s, index: s.index + c.addedTop < store.size ? s.index + c.addedTop : -1 };
          // A selected row that was not in the list yet (a replay whose event came late) may be among the new ones.
          for (let i = 0; i < c.addedTop; i++) if (store.at(i)?.id === s.id) return { ...s, index: i };
          return s;
        });
      }),
    [store],
  );

  const load = useCallback(
    async (f: TrafficFilter) => {
      await store.load(f);
      setSel((s) => (s ? { ...s, index: store.indexOf(s.id) } : s));
    },
    [store],
  );

  useEffect(() => {
    void load(filter);
  }, [filter, load]);

  const setText$ = useMemo(() => debounce((t: string) => setFilter((f) => ({ ...f, text: t })), 200), []);
  useEffect(() => () => setText$.cancel(), [setText$]);

  const select = useCallback(
    (index: number) => {
      const r = store.at(index);
      if (r) setSel({ id: r.id, index });
    },
    [store],
  );

  const exportHAR = async () => {
    setExporting(true);
    try {
      // The filters as shown, including path text typed within the list's debounce.
      const shown = { ...filter, text, limit: 0, beforeId: '' };
      const path = await traffic.ExportHAR(shown);
      if (path) notify({ kind: 'success', title: 'HAR exported', detail: `${isFilterActive(shown) ? 'The filtered exchanges were' : 'All exchanges were'} written to ${path}` });
    } catch (e) {
      notify({ kind: 'error', title: 'Export failed', detail: `${errorMessage(e)}. Pick another folder and try again.` });
    } finally {
      setExporting(false);
    }
  };

  const clear = async () => {
    setConfirmClear(false);
    try {
      await traffic.Clear();
      store.clear();
      setSel(null);
    } catch (e) {
      notify({ kind: 'error', title: 'Could not clear the traffic', detail: errorMessage(e) });
    }
  };

  const onEndReached = useCallback(() => void store.loadOlder(), [store]);
  const filtered = isFilterActive(filter);
  const resetFilters = () => {
    setText('');
    setText$.cancel();
    setFilter(emptyFilter());
  };

  const empty = store.loading ? (
    <p className="list-empty muted">Loading…</p>
  ) : filtered ? (
    <div className="list-empty">
      <p>No exchanges match these filters.</p>
      <button type="button" className="btn btn-small" onClick={resetFilters}>
        Clear filters
      </button>
    </div>
  ) : gateway.running ? (
    <div className="list-empty">
      <p>
        <strong>Waiting for traffic.</strong>
      </p>
      <p>
        Send a request to <code>{gateway.apis[0]?.baseURL ?? gateway.baseURL}</code>; it shows up here as it happens.
      </p>
    </div>
  ) : (
    <div className="list-empty">
      <p>
        <strong>No traffic yet.</strong>
      </p>
      <p>Start the gateway ({keyLabel('Mod+Enter')}) and send requests to its base URL; every exchange is captured here.</p>
    </div>
  );

  return (
    <div className="traffic" data-active={active}>
      <div className="toolbar traffic-toolbar">
        <form className="filters" role="search" aria-label="Filter traffic" onSubmit={(e) => e.preventDefault()}>
          <label className="filter">
            <span>Method</span>
            <select value={filter.method} onChange={(e) => setFilter((f) => ({ ...f, method: e.target.value }))}>
              <option value="">Any</option>
              {METHODS.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </label>
          <label className="filter">
            <span>Status</span>
            <select value={filter.statusClass} onChange={(e) => setFilter((f) => ({ ...f, statusClass: e.target.value as StatusClass }))}>
              <option value="">Any</option>
              {STATUS_CLASSES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
          <label className="filter filter-text">
            <span>Path</span>
            <input
              type="search"
              value={text}
              placeholder="contains…"
              spellCheck={false}
              onChange={(e) => {
                setText(e.target.value);
                setText$(e.target.value);
              }}
            />
          </label>
          <label className="filter">
            <span>API</span>
            <select value={filter.api} onChange={(e) => setFilter((f) => ({ ...f, api: e.target.value }))}>
              <option value="">All</option>
              {apis.map((a) => (
                <option key={a.name}>{a.name}</option>
              ))}
            </select>
          </label>
        </form>
        <span className="spacer" />
        <span className="traffic-count" role="status" aria-live="off">
          {gateway.running && <span className="live-dot" title="Live" aria-hidden="true" />}
          {plural(store.size, 'exchange')}
          {store.size >= store.capacity ? ' (newest kept)' : ''}
        </span>
        <button type="button" className="btn btn-small" onClick={() => void exportHAR()} disabled={exporting}>
          <Icon name="download" /> {exporting ? 'Exporting…' : 'Export HAR'}
        </button>
        <button type="button" className="btn btn-small" onClick={() => setConfirmClear(true)} disabled={store.size === 0}>
          <Icon name="clear" /> Clear
        </button>
      </div>
      {store.error && (
        <div role="alert" className="banner banner-error">
          <Icon name="alert" />
          <span>Could not load traffic: {store.error}</span>
          <button type="button" className="btn btn-small" onClick={() => void load(filter)}>
            Try again
          </button>
        </div>
      )}
      <div className="traffic-body">
        <div className="traffic-list">
          <div className="vrow vrow-head" aria-hidden="true">
            <span className="c-time">Time</span>
            <span className="c-method">Method</span>
            <span className="c-status">Status</span>
            <span className="c-path">Path</span>
            <span className="c-api">API</span>
            <span className="c-dur">Duration</span>
            <span className="c-viol">!</span>
          </div>
          <VirtualList
            ref={list}
            count={store.size}
            rowHeight={ROW_HEIGHT}
            label="Exchanges"
            version={version}
            selectedIndex={sel?.index ?? -1}
            getKey={(i) => store.at(i)?.id ?? String(i)}
            renderRow={(i) => {
              const r = store.at(i);
              return r ? <Row r={r} /> : null;
            }}
            onSelect={select}
            onEndReached={store.hasMore ? onEndReached : undefined}
            empty={empty}
          />
        </div>
        <ExchangePane
          id={sel?.id ?? null}
          gatewayRunning={gateway.running}
          onReplayed={(id) => {
            store.flush();
            const index = store.indexOf(id);
            setSel({ id, index });
            if (index >= 0) list.current?.scrollToIndex(index);
          }}
        />
      </div>
      {confirmClear && (
        <ConfirmDialog
          title="Clear all traffic?"
          message={<p>This deletes every captured exchange from the workspace, not only the filtered ones. Export a HAR first if you want to keep them.</p>}
          confirmLabel="Clear traffic"
          danger
          onConfirm={() => void clear()}
          onCancel={() => setConfirmClear(false)}
        />
      )}
    </div>
  );
}
