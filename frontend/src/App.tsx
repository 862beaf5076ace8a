import { useCallback, useEffect, useId, useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import type { ImportProgress, Template } from './api';
import { errorMessage } from './api';
import { ConfirmDialog } from './components/Modal';
import { NewApiDialog } from './components/NewApiDialog';
import { Notices } from './components/Notices';
import { ConsoleTab } from './console/ConsoleTab';
import { Sidebar } from './components/Sidebar';
import { StatusBar } from './components/StatusBar';
import { DesignTab } from './design/DesignTab';
import { useBackend, useEvent } from './hooks/backend';
import { useNotify } from './hooks/notify';
import { useApis } from './hooks/useApis';
import { DEFAULT_LISTEN, useGateway } from './hooks/useGateway';
import { useSession } from './hooks/useSession';
import { useShortcuts } from './hooks/useShortcuts';
import { TrafficTab } from './inspector/TrafficTab';
import { plural } from './lib/format';
import { PoliciesTab } from './policies/PoliciesTab';
import { CatalogsTab } from './hosted/CatalogsTab';
import { label as keyLabel } from './lib/keys';

type TabId = 'design' | 'traffic' | 'console' | 'policies' | 'catalogs';

const TABS: { id: TabId; label: string; shortcut: string }[] = [
  { id: 'design', label: 'Design', shortcut: 'Mod+1' },
  { id: 'traffic', label: 'Traffic', shortcut: 'Mod+2' },
  { id: 'console', label: 'Console', shortcut: 'Mod+3' },
  { id: 'policies', label: 'Policies', shortcut: 'Mod+4' },
  { id: 'catalogs', label: 'Catalogs', shortcut: 'Mod+5' },
];

const LISTEN_KEY = 'gantry.listen';
const TAB_KEY = 'gantry.tab';

function storedTab(): TabId {
  const t = localStorage.getItem(TAB_KEY);
  return TABS.some((x) => x.id === t) ? (t as TabId) : 'design';
}

type Pending = { kind: 'switch'; to: string } | { kind: 'remove'; name: string } | { kind: 'new' } | null;

export function App() {
  const backend = useBackend();
  const { workspace, platform } = backend;
  const { notify } = useNotify();
  const apis = useApis();
  const gw = useGateway();
  const [selected, setSelected] = useState('');
  const [tab, setTab] = useState<TabId>(storedTab);
  const [listen, setListen] = useState(() => localStorage.getItem(LISTEN_KEY) || DEFAULT_LISTEN);
  // "" serves every API; an API's name serves that API alone (while it is the selected one).
  const [scope, setScope] = useState('');
  const [importing, setImporting] = useState(false);
  const [progress, setProgress] = useState<ImportProgress | null>(null);
  const [pending, setPending] = useState<Pending>(null);
  const [dragging, setDragging] = useState(false);
  const [dbPath, setDbPath] = useState('');
  const [session, state] = useSession(workspace, selected);
  const tabIds = useId();
  const tabRefs = useRef<Record<TabId, HTMLButtonElement | null>>({ design: null, traffic: null, console: null, policies: null, catalogs: null });

  useEffect(() => {
    workspace.Info().then(
      (i) => setDbPath(i.dbPath),
      () => setDbPath(''),
    );
  }, [workspace]);

  // Keep a valid selection: the first API when none (or a removed one) is selected.
  useEffect(() => {
    if (!apis.loaded) return;
    if (apis.apis.length === 0) {
      if (selected) setSelected('');
    } else if (!apis.apis.some((a) => a.name === selected)) {
      setSelected(apis.apis[0]?.name ?? '');
    }
  }, [apis.apis, apis.loaded, selected]);

  useEffect(() => localStorage.setItem(TAB_KEY, tab), [tab]);
  // The console keeps its request and response once opened.
  const [consoleSeen, setConsoleSeen] = useState(false);
  useEffect(() => {
    if (tab === 'console') setConsoleSeen(true);
  }, [tab]);
  useEffect(() => localStorage.setItem(LISTEN_KEY, listen), [listen]);

  useEvent('import:progress', (p) => setProgress(p.total > 0 && p.done >= p.total ? null : p));

  const dirtyApi = state.dirty ? state.api : '';

  const selectApi = useCallback(
    (name: string) => {
      if (name === selected) return;
      if (dirtyApi) setPending({ kind: 'switch', to: name });
      else setSelected(name);
    },
    [selected, dirtyApi],
  );

  const runImport = useCallback(
    async (path?: string) => {
      if (importing) return;
      setImporting(true);
      try {
        const r = path ? await workspace.Import(path) : await workspace.ChooseAndImport();
        if (!r) return;
        await apis.reload();
        if (!dirtyApi) setSelected(r.api.name);
        setTab('design');
        notify({
          kind: 'success',
          title: `Imported ${r.api.name}`,
          detail: `${plural(r.api.operations, 'operation')}${r.warnings.length ? `, ${plural(r.warnings.length, 'warning')} (see Problems)` : ''}.`,
        });
      } catch (e) {
        notify({
          kind: 'error',
          title: 'Import failed',
          detail: `${errorMessage(e)}. Check that the file is an OpenAPI 3.x or Swagger 2.0 document and that its $refs resolve.`,
        });
      } finally {
        setImporting(false);
        setProgress(null);
      }
    },
    [importing, workspace, apis, dirtyApi, notify],
  );

  // Files dropped on the window: Wails hands over paths; a browser gives a path only in some shells.
  const wailsDrop = useRef(false);
  useEffect(() => {
    const off = platform.onFileDrop((paths) => {
      const first = paths[0];
      if (first) void runImport(first);
    });
    wailsDrop.current = off !== null;
    return () => off?.();
  }, [platform, runImport]);

  const onDragOver = (e: DragEvent) => {
    if (![...e.dataTransfer.types].includes('Files')) return;
    e.preventDefault();
    setDragging(true);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (wailsDrop.current) return;
    const file = e.dataTransfer.files[0] as (File & { path?: string }) | undefined;
    if (!file) return;
    if (file.path) void runImport(file.path);
    else
      notify({
        kind: 'error',
        title: `Can't import ${file.name} by dropping it here`,
        detail: `This window doesn't reveal where the file is on disk. Use Import (${keyLabel('Mod+I')}) instead.`,
      });
  };

  const create = async (name: string, template: Template): Promise<string | null> => {
    try {
      const a = await workspace.Create(name, template);
      await apis.reload();
      setSelected(a.name);
      setTab('design');
      setPending(null);
      notify({ kind: 'success', title: `Created ${a.name}` });
      return null;
    } catch (e) {
      return errorMessage(e);
    }
  };

  const remove = async (name: string) => {
    setPending(null);
    try {
      await workspace.Remove(name);
      await apis.reload();
      notify({ kind: 'info', title: `Removed ${name}` });
    } catch (e) {
      notify({ kind: 'error', title: `Could not remove ${name}`, detail: errorMessage(e) });
    }
  };

  const save = useCallback(() => {
    if (session && state.dirty) {
      setTab('design');
      void session.save();
    }
  }, [session, state.dirty]);

  useShortcuts({
    'Mod+S': save,
    'Mod+I': () => void runImport(),
    'Mod+Enter': () => void gw.toggle(listen, scope && scope === selected ? [scope] : []),
    'Mod+1': () => setTab('design'),
    'Mod+2': () => setTab('traffic'),
    'Mod+3': () => setTab('console'),
    'Mod+4': () => setTab('policies'),
    'Mod+5': () => setTab('catalogs'),
  });

  const onTabKey = (e: KeyboardEvent) => {
    const i = TABS.findIndex((t) => t.id === tab);
    let n = -1;
    if (e.key === 'ArrowRight') n = (i + 1) % TABS.length;
    else if (e.key === 'ArrowLeft') n = (i - 1 + TABS.length) % TABS.length;
    else if (e.key === 'Home') n = 0;
    else if (e.key === 'End') n = TABS.length - 1;
    if (n < 0) return;
    e.preventDefault();
    const t = TABS[n];
    if (!t) return;
    setTab(t.id);
    tabRefs.current[t.id]?.focus();
  };

  const current = apis.apis.find((a) => a.name === selected);
  const removing = pending?.kind === 'remove' ? apis.apis.find((a) => a.name === pending.name) : undefined;

  return (
    <div
      className="app"
      onDragOver={onDragOver}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <Sidebar
        apis={apis.apis}
        loaded={apis.loaded}
        error={apis.error}
        selected={selected}
        dirtyApi={dirtyApi}
        importing={importing}
        progress={progress}
        onSelect={selectApi}
        onImport={() => void runImport()}
        onNew={() => setPending({ kind: 'new' })}
        onRemove={(name) => setPending({ kind: 'remove', name })}
        onRetry={() => void apis.reload()}
      />
      <main className="main">
        <div className="tabbar">
          <div role="tablist" aria-label="Views" className="tabs" onKeyDown={onTabKey}>
            {TABS.map((t) => (
              <button
                key={t.id}
                ref={(el) => {
                  tabRefs.current[t.id] = el;
                }}
                type="button"
                role="tab"
                id={`${tabIds}-tab-${t.id}`}
                aria-selected={tab === t.id}
                aria-controls={`${tabIds}-panel-${t.id}`}
                tabIndex={tab === t.id ? 0 : -1}
                className="tab"
                onClick={() => setTab(t.id)}
                title={keyLabel(t.shortcut)}
              >
                {t.label}
                {t.id === 'design' && state.dirty && (
                  <span className="dirty-dot" aria-label="unsaved changes">
                    ●
                  </span>
                )}
              </button>
            ))}
          </div>
        </div>
        <div role="tabpanel" id={`${tabIds}-panel-design`} aria-labelledby={`${tabIds}-tab-design`} hidden={tab !== 'design'} className="tabpanel">
          <DesignTab session={session} state={state} api={current} gateway={gw.status} />
        </div>
        <div role="tabpanel" id={`${tabIds}-panel-traffic`} aria-labelledby={`${tabIds}-tab-traffic`} hidden={tab !== 'traffic'} className="tabpanel">
          <TrafficTab apis={apis.apis} gateway={gw.status} active={tab === 'traffic'} />
        </div>
        <div role="tabpanel" id={`${tabIds}-panel-console`} aria-labelledby={`${tabIds}-tab-console`} hidden={tab !== 'console'} className="tabpanel">
          {(tab === 'console' || consoleSeen) && <ConsoleTab api={current} gateway={gw.status} />}
        </div>
        <div role="tabpanel" id={`${tabIds}-panel-policies`} aria-labelledby={`${tabIds}-tab-policies`} hidden={tab !== 'policies'} className="tabpanel">
          {tab === 'policies' && <PoliciesTab api={current} />}
        </div>
        <div role="tabpanel" id={`${tabIds}-panel-catalogs`} aria-labelledby={`${tabIds}-tab-catalogs`} hidden={tab !== 'catalogs'} className="tabpanel">
          {tab === 'catalogs' && <CatalogsTab />}
        </div>
      </main>
      <StatusBar
        status={gw.status}
        busy={gw.busy}
        error={gw.error}
        listen={listen}
        onListen={setListen}
        selectedApi={selected ?? ''}
        scope={scope === selected ? scope : ''}
        onScope={setScope}
        onToggle={() => void gw.toggle(listen, scope && scope === selected ? [scope] : [])}
        onDismissError={gw.clearError}
        workspacePath={dbPath}
      />
      <Notices />
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <div>Drop an OpenAPI file (.yaml, .yml or .json) to import it</div>
        </div>
      )}
      {pending?.kind === 'new' && <NewApiDialog existing={apis.apis.map((a) => a.name)} onCreate={create} onClose={() => setPending(null)} />}
      {pending?.kind === 'switch' && (
        <ConfirmDialog
          title="Discard unsaved changes?"
          message={
            <p>
              {state.api} has edits that are not saved. Switching to {pending.to} drops them.
            </p>
          }
          confirmLabel="Discard changes"
          danger
          onConfirm={() => {
            setSelected(pending.to);
            setPending(null);
          }}
          onCancel={() => setPending(null)}
        />
      )}
      {pending?.kind === 'remove' && (
        <ConfirmDialog
          title={`Remove ${pending.name}?`}
          message={
            <p>
              This deletes {pending.name}
              {removing ? ` and its ${plural(removing.revisions, 'revision')}` : ''} from the workspace, and the gateway stops serving it.
              {removing?.linkedPath ? ` The linked file ${removing.linkedPath} stays on disk.` : ''}
            </p>
          }
          confirmLabel="Remove API"
          danger
          onConfirm={() => void remove(pending.name)}
          onCancel={() => setPending(null)}
        />
      )}
    </div>
  );
}
