import { useCallback, useEffect, useId, useState } from 'react';
import type { HostedCatalog, PublishChange, PublishCheck, PublishResult } from '../api';
import { errorMessage } from '../api';
import { Modal } from '../components/Modal';
import { useBackend } from '../hooks/backend';
import { plural } from '../lib/format';
import { CatalogSelect } from './CatalogSelect';
import { hostedChanged } from './changed';
import { LoginDialog } from './LoginDialog';

function ChangeList({ changes, label }: { changes: PublishChange[]; label: string }) {
  if (changes.length === 0) return <p className="muted">No changes to the spec.</p>;
  return (
    <ul aria-label={label} className="change-list">
      {changes.map((c, i) => (
        <li key={i} className={c.breaking ? 'change change-breaking' : 'change'}>
          {c.breaking && <strong className="badge badge-danger">breaking</strong>} <code>{`${c.operation} ${c.path}`.trim() || 'document'}</code> {c.text}
          {c.pointer && (
            <>
              {' '}
              <code className="muted" aria-label="pointer">
                {c.pointer}
              </code>
            </>
          )}
          {c.location && <span className="muted"> ({c.location})</span>}
        </li>
      ))}
    </ul>
  );
}

/** Publishes an API to a catalog after showing what would change. */
export function PublishDialog({ api, onClose }: { api: string; onClose(): void }) {
  const { hosted } = useBackend();
  const ids = useId();
  const [loggedIn, setLoggedIn] = useState<boolean | null>(null);
  const [catalogs, setCatalogs] = useState<HostedCatalog[]>([]);
  const [catalog, setCatalog] = useState('');
  const [check, setCheck] = useState<PublishCheck | null>(null);
  const [allow, setAllow] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [result, setResult] = useState<PublishResult | null>(null);

  const loadCatalogs = useCallback(async () => {
    try {
      const s = await hosted.Status();
      setLoggedIn(s.loggedIn);
      if (!s.loggedIn) return;
      const cs = await hosted.Catalogs();
      setCatalogs(cs);
      setCatalog((c) => c || cs[0]?.name || '');
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [hosted]);
  useEffect(() => void loadCatalogs(), [loadCatalogs]);

  const runCheck = useCallback(async () => {
    if (!catalog) return;
    setCheck(null);
    try {
      setCheck(await hosted.CheckPublish(api, catalog));
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [hosted, api, catalog]);
  useEffect(() => {
    setResult(null);
    setError('');
    void runCheck();
  }, [runCheck]);

  if (loggedIn === false) {
    return <LoginDialog onClose={onClose} onDone={() => void loadCatalogs()} />;
  }

  const needReason = allow && !reason.trim();
  const publish = async () => {
    setBusy(true);
    setError('');
    try {
      const r = await hosted.Publish(api, catalog, allow, reason);
      setResult(r);
      hostedChanged();
    } catch (e) {
      setError(errorMessage(e));
      void runCheck();
    } finally {
      setBusy(false);
    }
  };

  // A stale copy: pull the catalog's revision as the new base (local changes are kept), then check again.
  const pullBase = async () => {
    setBusy(true);
    setError('');
    try {
      const [r] = await hosted.Pull(catalog, [api]);
      if (r?.outcome === 'failed') setError(r.error ?? 'the pull failed');
      hostedChanged();
      await runCheck();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      title={`Publish ${api}`}
      onClose={onClose}
      className="modal-wide"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            {result ? 'Close' : 'Cancel'}
          </button>
          {!result && (
            <button type="button" className="btn btn-primary" disabled={busy || !check || needReason || check.unchanged} onClick={() => void publish()}>
              {busy ? 'Publishing…' : `Publish to ${catalog}`}
            </button>
          )}
        </>
      }
    >
      <CatalogSelect label="Target catalog" catalogs={catalogs} value={catalog} onChange={setCatalog} />
      {!check && !error && <p role="status">Checking against {catalog || 'the catalog'}…</p>}
      {check && (
        <section aria-label="Change summary">
          <p role="status">
            {check.currentRevision === 0
              ? `${api} is new to ${check.catalog}: its whole spec and gateway settings will be published as revision 1.`
              : `${check.catalog} has revision ${check.currentRevision}${check.currentPublishedBy ? ` by ${check.currentPublishedBy}` : ''}. ${
                  check.unchanged ? 'It has this content already.' : `${plural(check.changes.length, 'change')}, ${check.breaking} breaking.`
                }`}
          </p>
          {check.stale && (
            <div role="alert" className="error-text">
              Stale: {check.catalog} moved past the revision this copy was based on ({check.baseRevision}).{' '}
              <button type="button" className="btn btn-small" disabled={busy} onClick={() => void pullBase()}>
                Pull revision {check.currentRevision} as the base
              </button>{' '}
              <span className="muted">(keeps your local changes; the publish is then checked against it)</span>
            </div>
          )}
          {!check.unchanged && check.currentRevision > 0 && <ChangeList changes={check.changes} label="Changes" />}
          {check.breaking > 0 && !result && (
            <div className="field">
              <label className="checkbox">
                <input type="checkbox" checked={allow} onChange={(e) => setAllow(e.target.checked)} /> Allow breaking changes
              </label>
              {allow && (
                <>
                  <label className="field-label" htmlFor={`${ids}-reason`}>
                    Reason (required, kept in the audit log)
                  </label>
                  <input id={`${ids}-reason`} className="input" value={reason} onChange={(e) => setReason(e.target.value)} required aria-invalid={needReason} />
                </>
              )}
            </div>
          )}
        </section>
      )}
      {error && (
        <p role="alert" className="error-text" style={{ whiteSpace: 'pre-wrap' }}>
          {error}
        </p>
      )}
      {result && (
        <p role="status" className="success-text">
          {result.created ? `Published revision ${result.revision} of ${api} to ${result.catalog}.` : `Unchanged: ${api} is revision ${result.revision} in ${result.catalog} already.`}
        </p>
      )}
    </Modal>
  );
}
