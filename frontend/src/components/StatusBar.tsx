import { useState } from 'react';
import type { GatewayStatus } from '../api';
import { label as keyLabel } from '../lib/keys';
import { plural } from '../lib/format';
import { CopyButton } from './CopyButton';
import { Icon } from './Icon';

export interface StatusBarProps {
  status: GatewayStatus;
  busy: boolean;
  error: string;
  listen: string;
  onListen(v: string): void;
  /** The selected API, offered as the only one to serve; "" when none is selected. */
  selectedApi?: string;
  /** "" serves every API of the workspace, else only the API of that name. */
  scope?: string;
  onScope?(scope: string): void;
  onToggle(): void;
  onDismissError(): void;
  workspacePath: string;
}

export function StatusBar(p: StatusBarProps) {
  const s = p.status;
  const [showAPIs, setShowAPIs] = useState(false);
  // dismissed is the stopped gateway's error the user closed (or saw as a failed start).
  const [dismissed, setDismissed] = useState('');
  return (
    <footer className="statusbar" aria-label="Gateway">
      <div className="statusbar-row">
        <span className={`gw-state ${s.running ? 'is-running' : ''}`} role="status" aria-live="polite">
          <span className="gw-dot" aria-hidden="true" />
          {p.busy ? (s.running ? 'Stopping…' : 'Starting…') : s.running ? 'Gateway running' : 'Gateway stopped'}
        </span>
        <form
          className="gw-form"
          onSubmit={(e) => {
            e.preventDefault();
            p.onToggle();
          }}
        >
          <label className="gw-listen">
            <span>Listen</span>
            <input
              value={p.listen}
              onChange={(e) => p.onListen(e.target.value)}
              disabled={s.running || p.busy}
              spellCheck={false}
              size={16}
              aria-describedby="gw-listen-help"
            />
          </label>
          <span id="gw-listen-help" hidden>
            Host and port the gateway listens on, for example 127.0.0.1:4010
          </span>
          {p.onScope && (
            <label className="gw-scope">
              <span>Serve</span>
              <select value={p.scope ?? ''} onChange={(e) => p.onScope?.(e.target.value)} disabled={s.running || p.busy}>
                <option value="">All APIs</option>
                {p.selectedApi && <option value={p.selectedApi}>Only {p.selectedApi}</option>}
              </select>
            </label>
          )}
          <button type="submit" className={`btn btn-small ${s.running ? '' : 'btn-primary'}`} disabled={p.busy} title={keyLabel('Mod+Enter')}>
            <Icon name={s.running ? 'stop' : 'play'} /> {s.running ? 'Stop gateway' : 'Start gateway'}
          </button>
        </form>
        {s.running && s.baseURL && (
          <span className="gw-url">
            <code aria-label="Gateway base URL">{s.baseURL}</code>
            <CopyButton text={s.baseURL} label="Copy gateway base URL" />
          </span>
        )}
        {s.running && (
          <span className="gw-meta">
            <button type="button" className="linkish" aria-expanded={showAPIs} onClick={() => setShowAPIs((v) => !v)}>
              {plural(s.apis.length, 'API')}
            </button>{' '}
            · config rev {s.revision}
          </span>
        )}
        <span className="spacer" />
        {p.workspacePath && (
          <span className="gw-workspace" title={`Workspace: ${p.workspacePath}`}>
            {p.workspacePath}
          </span>
        )}
      </div>
      {showAPIs && s.running && (
        <ul className="gw-apis" aria-label="Served APIs">
          {s.apis.map((a) => (
            <li key={a.name}>
              <strong>{a.name}</strong> <code>{a.baseURL}</code> <span className="muted">{plural(a.operations, 'operation')}</span>
              <CopyButton text={a.baseURL} label={`Copy base URL of ${a.name}`} />
            </li>
          ))}
        </ul>
      )}
      {s.error && s.running && (
        <div role="alert" className="statusbar-alert">
          <Icon name="alert" />
          <span>
            <strong>Reload rejected:</strong> {s.error}. The gateway keeps serving the last good routes; fix the spec and save again.
          </span>
        </div>
      )}
      {s.error && !s.running && !p.error && s.error !== dismissed && (
        <div role="alert" className="statusbar-alert">
          <Icon name="alert" />
          <span>
            <strong>The gateway stopped:</strong> {s.error}. Start it again once the cause is fixed.
          </span>
          <button type="button" className="btn-icon" aria-label="Dismiss gateway error" onClick={() => setDismissed(s.error)}>
            <Icon name="close" />
          </button>
        </div>
      )}
      {p.error && (
        <div role="alert" className="statusbar-alert">
          <Icon name="alert" />
          <span>
            <strong>{s.running ? 'Could not stop the gateway:' : 'Could not start the gateway:'}</strong> {p.error}
            {!s.running && ' Check the listen address, or pick a free port.'}
          </span>
          <button
            type="button"
            className="btn-icon"
            aria-label="Dismiss gateway error"
            onClick={() => {
              setDismissed(s.error); // the same failure, as the status reports it
              p.onDismissError();
            }}
          >
            <Icon name="close" />
          </button>
        </div>
      )}
    </footer>
  );
}
