import { useEffect, useRef, useState } from 'react';
import type { ExchangeDetail, Message } from '../api';
import { errorMessage } from '../api';
import { CopyButton } from '../components/CopyButton';
import { Icon } from '../components/Icon';
import { useBackend } from '../hooks/backend';
import { useNotify } from '../hooks/notify';
import { Latest } from '../lib/async';
import { formatBytes, formatClock, formatDuration, plural, prettyBody } from '../lib/format';
import { statusClassOf } from '../traffic/filter';

function Headers({ headers }: { headers: [string, string][] }) {
  if (headers.length === 0) return <p className="muted small">No headers.</p>;
  return (
    <table className="headers-table">
      <tbody>
        {headers.map(([k, v], i) => (
          <tr key={`${i}:${k}`}>
            <th scope="row">{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Body({ m, label }: { m: Message; label: string }) {
  const b = prettyBody(m);
  return (
    <div className="body-view">
      <div className="body-meta">
        <span>{m.contentType || 'no content type'}</span>
        {b.kind !== 'empty' && <span>{formatBytes(m.bodyEncoding === 'base64' ? Math.floor((m.body.length * 3) / 4) : new TextEncoder().encode(m.body).length)}</span>}
        {b.notes.map((n) => (
          <span key={n} className="body-note">
            {n}
          </span>
        ))}
        {b.kind !== 'empty' && <CopyButton text={b.kind === 'binary' ? m.body : b.text} label={`Copy ${label}`} />}
      </div>
      {b.kind === 'empty' ? (
        <p className="muted small">No body.</p>
      ) : (
        <pre className={`body-pre body-${b.kind}`} tabIndex={0} aria-label={label}>
          {b.text}
        </pre>
      )}
    </div>
  );
}

function MessageSection({ title, m }: { title: 'Request' | 'Response'; m: Message }) {
  return (
    <section className="msg-section" aria-label={title}>
      <h3>{title}</h3>
      <details open className="msg-headers">
        <summary>
          Headers <span className="muted">({m.headers.length})</span>
        </summary>
        <Headers headers={m.headers} />
      </details>
      <Body m={m} label={`${title.toLowerCase()} body`} />
    </section>
  );
}

export interface ExchangePaneProps {
  id: string | null;
  gatewayRunning: boolean;
  onReplayed(id: string): void;
}

export function ExchangePane({ id, gatewayRunning, onReplayed }: ExchangePaneProps) {
  const { traffic, platform } = useBackend();
  const { notify } = useNotify();
  const [x, setX] = useState<ExchangeDetail | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState<'' | 'replay' | 'curl'>('');
  const latest = useRef(new Latest());

  useEffect(() => {
    if (!id) {
      latest.current.cancel();
      setX(null);
      setError('');
      return;
    }
    setError('');
    latest.current.run(() => traffic.Get(id)).then(
      (r) => {
        if (r.current) setX(r.value);
      },
      (e: unknown) => {
        setX(null);
        setError(errorMessage(e));
      },
    );
  }, [id, traffic]);

  if (!id) {
    return (
      <aside className="exchange-pane" aria-label="Exchange details">
        <div className="pane-empty">
          <p>Select an exchange to see its request, response and any violations of the spec.</p>
          <p className="muted small">Use ↑ and ↓ in the list to move between exchanges.</p>
        </div>
      </aside>
    );
  }
  if (error) {
    return (
      <aside className="exchange-pane" aria-label="Exchange details">
        <div role="alert" className="inline-alert">
          Could not load this exchange: {error}
        </div>
      </aside>
    );
  }
  if (!x || x.id !== id) {
    return (
      <aside className="exchange-pane" aria-label="Exchange details" aria-busy="true">
        <p className="pane-empty muted">Loading…</p>
      </aside>
    );
  }

  const replay = async () => {
    setBusy('replay');
    try {
      const row = await traffic.Replay(x.id);
      notify({ kind: 'success', title: `Replayed: ${row.status} in ${formatDuration(row.durationMs)}` });
      onReplayed(row.id);
    } catch (e) {
      notify({ kind: 'error', title: 'Replay failed', detail: errorMessage(e) });
    } finally {
      setBusy('');
    }
  };
  const copyCurl = async () => {
    setBusy('curl');
    try {
      await platform.copyText(await traffic.Curl(x.id));
      notify({ kind: 'success', title: 'Copied as curl' });
    } catch (e) {
      notify({ kind: 'error', title: 'Could not copy as curl', detail: errorMessage(e) });
    } finally {
      setBusy('');
    }
  };

  return (
    <aside className="exchange-pane" aria-label="Exchange details">
      <header className="exchange-head">
        <div className="exchange-line">
          <span className={`method method-${x.method.toLowerCase()}`}>{x.method}</span>
          <span className="exchange-url" title={x.url}>
            {x.url}
          </span>
        </div>
        <div className="exchange-facts">
          <span className={`status status-${statusClassOf(x.status) || 'none'}`}>{x.status || 'no response'}</span>
          <span title="Duration">{formatDuration(x.durationMs)}</span>
          <span title={x.startedAt}>{formatClock(x.startedAt)}</span>
          <span>{x.api}</span>
          {x.consumer && <span>consumer {x.consumer}</span>}
        </div>
        <div className="exchange-actions">
          <button type="button" className="btn btn-small" onClick={() => void replay()} disabled={busy !== '' || !gatewayRunning} title={gatewayRunning ? 'Send this request again' : 'Start the gateway to replay'}>
            <Icon name="replay" /> Replay
          </button>
          <button type="button" className="btn btn-small" onClick={() => void copyCurl()} disabled={busy !== ''}>
            <Icon name="copy" /> Copy as curl
          </button>
        </div>
      </header>
      <div className="exchange-scroll">
        <dl className="exchange-summary">
          <dt>Operation</dt>
          <dd>
            {x.operation ? (
              <>
                <span className={`method method-${x.operation.method.toLowerCase()}`}>{x.operation.method}</span>{' '}
                {x.operation.path ? <code>{x.operation.path}</code> : <span className="muted">(not in the API's current revision)</span>}
                {x.operation.id && <span className="muted"> · {x.operation.id}</span>}
              </>
            ) : (
              <span className="muted">No operation of the spec matched this request.</span>
            )}
          </dd>
          <dt>Timing</dt>
          <dd>
            started {new Date(x.startedAt).toLocaleString()} · took {formatDuration(x.durationMs)}
          </dd>
        </dl>
        {x.violations.length > 0 && (
          <section className="violations" aria-labelledby="violations-heading">
            <h3 id="violations-heading">
              <Icon name="alert" /> {plural(x.violations.length, 'violation')} of the spec
            </h3>
            <ul>
              {x.violations.map((v, i) => (
                <li key={i}>
                  <span className="viol-in">{v.in}</span>
                  {v.pointer && <code>{v.pointer}</code>} {v.message}
                </li>
              ))}
            </ul>
          </section>
        )}
        <MessageSection title="Request" m={x.request} />
        <MessageSection title="Response" m={x.response} />
      </div>
    </aside>
  );
}
