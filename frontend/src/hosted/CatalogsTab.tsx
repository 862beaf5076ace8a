import { useCallback, useEffect, useState } from 'react';
import type { CatalogView, HostedCatalog, HostedStatus, PullResult } from '../api';
import { errorMessage } from '../api';
import { useBackend } from '../hooks/backend';
import { formatDateTime } from '../lib/format';
import { CatalogSelect } from './CatalogSelect';
import { hostedChanged, onHostedChanged } from './changed';
import { LoginDialog } from './LoginDialog';

/** One line saying what pulling an API did. */
export function describePull(r: PullResult): string {
  switch (r.outcome) {
    case 'added':
      return `${r.api}: added revision ${r.revision} of ${r.catalog} to the workspace`;
    case 'updated':
      return `${r.api}: updated to revision ${r.revision} of ${r.catalog}`;
    case 'up-to-date':
      return `${r.api}: already revision ${r.revision} of ${r.catalog}`;
    case 'kept-local':
      return `${r.api}: local changes kept (${r.reason ?? 'changed locally'}); revision ${r.revision} is now the base of its next publish`;
    case 'failed':
      return r.error ?? `${r.api}: could not be pulled`;
  }
}

/** The management server's catalogs: APIs with their revisions, nodes with what they serve. */
export function CatalogsTab() {
  const { hosted } = useBackend();
  const [status, setStatus] = useState<HostedStatus | null>(null);
  const [catalogs, setCatalogs] = useState<HostedCatalog[]>([]);
  const [selected, setSelected] = useState('');
  const [view, setView] = useState<CatalogView | null>(null);
  const [error, setError] = useState('');
  const [login, setLogin] = useState(false);
  const [tick, setTick] = useState(0);
  const [pulling, setPulling] = useState('');
  const [pulled, setPulled] = useState<PullResult[] | null>(null);
  useEffect(() => onHostedChanged(() => setTick((t) => t + 1)), []);

  const load = useCallback(async () => {
    setError('');
    try {
      const s = await hosted.Status();
      setStatus(s);
      if (!s.loggedIn) return;
      const cs = await hosted.Catalogs();
      setCatalogs(cs);
      setSelected((c) => c || cs[0]?.name || '');
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [hosted]);
  useEffect(() => void load(), [load, tick]);
  useEffect(() => {
    if (!selected || !status?.loggedIn) return;
    hosted.CatalogView(selected).then(setView, (e) => setError(errorMessage(e)));
  }, [hosted, selected, status, tick]);

  const pull = async (apis: string[]) => {
    setPulling(apis[0] ?? '*');
    setPulled(null);
    setError('');
    try {
      setPulled(await hosted.Pull(selected, apis));
      hostedChanged();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setPulling('');
    }
  };

  return (
    <div className="catalogs">
      <div className="toolbar" role="toolbar" aria-label="Catalog actions">
        <h2>Catalogs</h2>
        <span className="spacer" />
        {status?.loggedIn ? (
          <>
            <span className="muted">
              {status.user} @ {status.server}
            </span>
            <button type="button" className="btn btn-small" onClick={() => void hosted.Logout().then(() => hostedChanged())}>
              Log out
            </button>
          </>
        ) : (
          <button type="button" className="btn btn-small btn-primary" onClick={() => setLogin(true)}>
            Log in
          </button>
        )}
      </div>
      <div className="catalogs-body">
        {error && <p role="alert">{error}</p>}
        {status && !status.loggedIn && <p className="muted">Log in to a management server to see its catalogs.{status.error && ` ${status.error}`}</p>}
        {status?.loggedIn && (
          <CatalogSelect label="Catalog" catalogs={catalogs} value={selected} onChange={setSelected} />
        )}
        {status?.loggedIn && view && (
          <>
            <section aria-label={`APIs of ${view.catalog.name}`}>
              <div className="section-head">
                <h3>APIs</h3>
                {view.apis.length > 0 && (
                  <button type="button" className="btn btn-small" disabled={pulling !== ''} onClick={() => void pull([])}>
                    {pulling === '*' ? 'Pulling…' : 'Pull all into the workspace'}
                  </button>
                )}
              </div>
              {pulled && (
                <ul className="pull-results" aria-label="Pull results">
                  {pulled.map((r) => (
                    <li key={r.api} className={r.outcome === 'failed' ? 'error-text' : r.outcome === 'kept-local' ? 'warn-text' : undefined}>
                      {describePull(r)}
                    </li>
                  ))}
                </ul>
              )}
              {view.apis.length === 0 && <p className="muted">Nothing published to {view.catalog.name} yet.</p>}
              {view.apis.map((a) => (
                <table key={a.name} className="table" aria-label={`Revisions of ${a.name}`}>
                  <caption>
                    {a.name}: revision {a.revision} ({a.state}){' '}
                    <button type="button" className="btn btn-small" disabled={pulling !== ''} onClick={() => void pull([a.name])} aria-label={`Pull ${a.name} into the workspace`}>
                      {pulling === a.name ? 'Pulling…' : 'Pull'}
                    </button>
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Revision</th>
                      <th scope="col">Published by</th>
                      <th scope="col">At</th>
                      <th scope="col">Reason</th>
                    </tr>
                  </thead>
                  <tbody>
                    {a.revisions.map((r) => (
                      <tr key={r.number}>
                        <td>{r.number}</td>
                        <td>{r.publishedBy}</td>
                        <td>{formatDateTime(r.publishedAt)}</td>
                        <td>
                          {r.reason}
                          {r.promotedFrom && ` (promoted from ${r.promotedFrom} r${r.promotedRevision})`}
                          {r.breaking > 0 && ` · ${r.breaking} breaking`}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ))}
            </section>
            <section aria-label={`Nodes of ${view.catalog.name}`}>
              <h3>Nodes</h3>
              {view.nodes.length === 0 ? (
                <p className="muted">No gateway node has reported yet.</p>
              ) : (
                <table className="table" aria-label="Nodes">
                  <thead>
                    <tr>
                      <th scope="col">Node</th>
                      <th scope="col">Version</th>
                      <th scope="col">Applied revisions</th>
                      <th scope="col">Last seen</th>
                    </tr>
                  </thead>
                  <tbody>
                    {view.nodes.map((n) => (
                      <tr key={n.id}>
                        <td>{n.id}</td>
                        <td>{n.version}</td>
                        <td>
                          {n.revisions.map((r) => `${r.api} r${r.revision}`).join(', ') || '—'}
                          {n.behind && ' (behind)'}
                          {n.error && ` · error: ${n.error}`}
                        </td>
                        <td>{formatDateTime(n.lastSeen)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          </>
        )}
      </div>
      {login && <LoginDialog onClose={() => setLogin(false)} onDone={() => setLogin(false)} />}
    </div>
  );
}
