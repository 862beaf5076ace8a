import type { APISummary, ImportProgress } from '../api';
import { label as keyLabel } from '../lib/keys';
import { plural } from '../lib/format';
import { PublishedBadges } from '../hosted/PublishedBadges';
import { Icon } from './Icon';
import { Listbox } from './Listbox';

export interface SidebarProps {
  apis: APISummary[];
  loaded: boolean;
  error: string;
  selected: string;
  dirtyApi: string;
  importing: boolean;
  progress: ImportProgress | null;
  onSelect(name: string): void;
  onImport(): void;
  onNew(): void;
  onRemove(name: string): void;
  onRetry(): void;
}

function ProgressBar({ p }: { p: ImportProgress }) {
  const pct = p.total > 0 ? Math.round((p.done / p.total) * 100) : 0;
  return (
    <div className="import-progress">
      <div className="import-progress-label">
        <span>Importing: {p.stage}</span>
        <span>{p.total > 0 ? `${p.done}/${p.total}` : ''}</span>
      </div>
      <div
        className="progress"
        role="progressbar"
        aria-label="Import progress"
        aria-valuemin={0}
        aria-valuemax={p.total || 100}
        aria-valuenow={p.total ? p.done : undefined}
        aria-valuetext={`${p.stage}${p.total ? `, ${p.done} of ${p.total}` : ''}`}
      >
        <div className="progress-bar" style={{ width: `${p.total ? pct : 30}%` }} />
      </div>
    </div>
  );
}

export function Sidebar(p: SidebarProps) {
  return (
    <nav className="sidebar" aria-label="Workspace">
      <div className="sidebar-header">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          Gantry
        </div>
        <div className="sidebar-actions">
          <button type="button" className="btn btn-small" onClick={p.onImport} disabled={p.importing} title={`Import an OpenAPI file (${keyLabel('Mod+I')})`}>
            <Icon name="import" /> Import
          </button>
          <button type="button" className="btn btn-small" onClick={p.onNew} title="Create a new API">
            <Icon name="plus" /> New API
          </button>
        </div>
        {p.progress && <ProgressBar p={p.progress} />}
        {p.importing && !p.progress && (
          <div className="import-progress" role="status">
            Waiting for a file…
          </div>
        )}
      </div>
      <h2 className="sidebar-heading" id="apis-heading">
        APIs {p.apis.length > 0 && <span className="count-badge">{p.apis.length}</span>}
      </h2>
      {p.error && (
        <div role="alert" className="inline-alert">
          <p>Could not list the workspace's APIs: {p.error}</p>
          <button type="button" className="btn btn-small" onClick={p.onRetry}>
            Try again
          </button>
        </div>
      )}
      {p.loaded && !p.error && p.apis.length === 0 && (
        <div className="empty-state">
          <p>
            <strong>No APIs yet</strong>
          </p>
          <p>Import an OpenAPI file or create one. You can also drop a .yaml or .json file onto the window.</p>
          <div className="empty-actions">
            <button type="button" className="btn btn-primary btn-small" onClick={p.onImport}>
              Import a file
            </button>
            <button type="button" className="btn btn-small" onClick={p.onNew}>
              Create an API
            </button>
          </div>
        </div>
      )}
      <Listbox
        items={p.apis}
        getKey={(a) => a.name}
        label="APIs"
        selectedKey={p.selected}
        selectOnMove
        onSelect={(a) => p.onSelect(a.name)}
        className="api-list"
        render={(a) => (
          <div className="api-item">
            <div className="api-item-top">
              <span className="api-name">{a.name}</span>
              {p.dirtyApi === a.name && (
                <span className="dirty-dot" title="Unsaved changes" aria-label="unsaved changes">
                  ●
                </span>
              )}
              {a.linkedPath && (
                <span className="api-linked" title={`Follows ${a.linkedPath}`} aria-label={`linked to ${a.linkedPath}`}>
                  <Icon name="link" size={13} />
                </span>
              )}
            </div>
            <div className="api-title">
              {a.title || 'Untitled'} {a.version && <span className="api-version">v{a.version}</span>}
            </div>
            <div className="api-meta">
              {plural(a.operations, 'op')} · rev {a.latestRevision}
            </div>
            <PublishedBadges api={a.name} revision={a.latestRevision} />
          </div>
        )}
      />
      {p.selected && p.apis.some((a) => a.name === p.selected) && (
        <div className="sidebar-footer">
          <button type="button" className="btn btn-small btn-ghost-danger" onClick={() => p.onRemove(p.selected)}>
            <Icon name="trash" /> Remove {p.selected}
          </button>
        </div>
      )}
    </nav>
  );
}
