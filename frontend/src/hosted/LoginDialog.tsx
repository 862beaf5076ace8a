import { useId, useState, type FormEvent } from 'react';
import type { HostedStatus } from '../api';
import { errorMessage } from '../api';
import { Modal } from '../components/Modal';
import { useBackend } from '../hooks/backend';
import { hostedChanged } from './changed';

/** Asks for a management server's URL and a token, and logs in. */
export function LoginDialog({ onDone, onClose }: { onDone(s: HostedStatus): void; onClose(): void }) {
  const { hosted } = useBackend();
  const [server, setServer] = useState('http://127.0.0.1:9090');
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const ids = useId();
  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    setBusy(true);
    setError('');
    try {
      const s = await hosted.Login(server, token);
      hostedChanged();
      onDone(s);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      title="Log in to a management server"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form={`${ids}-form`} className="btn btn-primary" disabled={busy}>
            {busy ? 'Logging in…' : 'Log in'}
          </button>
        </>
      }
    >
      <form id={`${ids}-form`} onSubmit={(e) => void submit(e)}>
        <div className="field">
          <label className="field-label" htmlFor={`${ids}-server`}>
            Server URL
          </label>
          <input id={`${ids}-server`} className="input" value={server} onChange={(e) => setServer(e.target.value)} required />
        </div>
        <div className="field">
          <label className="field-label" htmlFor={`${ids}-token`}>
            Token
          </label>
          <input id={`${ids}-token`} className="input" type="password" value={token} onChange={(e) => setToken(e.target.value)} data-autofocus required />
        </div>
        <p className="muted">The token is kept in the OS keyring, or else in a file only you can read; the command line shares it.</p>
        {error && (
          <p role="alert" className="error-text">
            {error}
          </p>
        )}
      </form>
    </Modal>
  );
}
