import { useCallback, useEffect, useRef, useState } from 'react';
import type { APISummary, Diagnostic, GatewayStatus, Operation, OperationKey, OutlineItem } from '../api';
import { errorMessage } from '../api';
import { CopyButton } from '../components/CopyButton';
import { Icon } from '../components/Icon';
import { ConfirmDialog } from '../components/Modal';
import { CodeEditor, type CodeEditorHandle } from '../editor/CodeEditor';
import { useBackend } from '../hooks/backend';
import { useNotify } from '../hooks/notify';
import { label as keyLabel } from '../lib/keys';
import { DocsPreview } from './DocsPreview';
import { newOperation, OperationDialog } from './OperationDialog';
import { Outline } from './Outline';
import { ProblemsPanel } from './ProblemsPanel';
import { RulesetDialog } from './RulesetDialog';
import { PublishDialog } from '../hosted/PublishDialog';
import type { SessionState, SpecSession } from './session';

export interface DesignTabProps {
  session: SpecSession | null;
  state: SessionState;
  api: APISummary | undefined;
  gateway: GatewayStatus;
}

const DOCS_KEY = 'gantry.docsOpen';

export function DesignTab({ session, state, api, gateway }: DesignTabProps) {
  const { workspace } = useBackend();
  const { notify } = useNotify();
  const editor = useRef<CodeEditorHandle>(null);
  const [docsOpen, setDocsOpen] = useState(() => localStorage.getItem(DOCS_KEY) !== 'false');
  const [form, setForm] = useState<{ from: OperationKey | null; op: Operation } | null>(null);
  const [deleting, setDeleting] = useState<OutlineItem | null>(null);
  const [publishing, setPublishing] = useState(false);
  const sessionRef = useRef(session);
  sessionRef.current = session;

  /** The editor's current text (what the form edits), falling back to the session's. */
  const currentText = () => (editor.current ? editor.current.getText() : (sessionRef.current?.text ?? ''));

  const openForm = useCallback(
    async (item: OutlineItem | null) => {
      if (!item) {
        setForm({ from: null, op: newOperation() });
        return;
      }
      const key = { path: item.path, method: item.method.toLowerCase() };
      try {
        setForm({ from: key, op: await workspace.Operation(currentText(), key.path, key.method) });
      } catch (e) {
        notify({ kind: 'error', title: `Could not open ${item.method.toUpperCase()} ${item.path}`, detail: errorMessage(e) });
      }
    },
    [workspace, notify],
  );
  const onEditOperation = useCallback((item: OutlineItem | null) => void openForm(item), [openForm]);
  const onJump = useCallback((o: OutlineItem) => editor.current?.jumpTo(o.line), []);
  const [rulesOpen, setRulesOpen] = useState(false);
  const onEditRules = useCallback(() => setRulesOpen(true), []);
  const onJumpToProblem = useCallback((d: Diagnostic) => {
    if (d.line > 0) editor.current?.jumpTo(d.line, d.column || 1);
  }, []);

  useEffect(() => {
    session?.wantDocs(docsOpen);
    localStorage.setItem(DOCS_KEY, String(docsOpen));
  }, [session, docsOpen]);

  if (!api) {
    return (
      <div className="tab-empty">
        <h2>No API selected</h2>
        <p>Pick an API in the sidebar, import an OpenAPI file, or create a new API to start designing.</p>
      </div>
    );
  }
  if (state.status === 'error') {
    return (
      <div className="tab-empty" role="alert">
        <h2>Could not open {api.name}</h2>
        <p>{state.loadError}</p>
        <button type="button" className="btn" onClick={() => void session?.load()}>
          Try again
        </button>
      </div>
    );
  }
  if (state.status === 'loading' || !session) {
    return (
      <div className="tab-empty" aria-busy="true">
        <p className="muted">Opening {api.name}…</p>
      </div>
    );
  }

  const mock = gateway.running ? gateway.apis.find((a) => a.name === api.name) : undefined;

  const link = async () => {
    try {
      if (state.linkedPath) {
        await workspace.Unlink(api.name);
        session.setLinkedPath('');
        notify({ kind: 'info', title: `${api.name} no longer follows a file` });
      } else {
        const path = await workspace.ChooseLink(api.name);
        if (!path) return;
        session.setLinkedPath(path);
        notify({ kind: 'success', title: `${api.name} now follows ${path}`, detail: 'Changes to the file show up here; saving writes it back.' });
      }
    } catch (e) {
      notify({ kind: 'error', title: state.linkedPath ? 'Could not unlink' : 'Could not link the file', detail: errorMessage(e) });
    }
  };

  return (
    <div className="design">
      <div className="toolbar" role="toolbar" aria-label="Spec actions">
        <div className="doc-title">
          <h2>{api.name}</h2>
          <span className="muted doc-root" title={state.linkedPath || state.root}>
            {state.linkedPath || state.root}
          </span>
          <span className="badge">rev {state.revision}</span>
          {state.dirty ? (
            <span className="dirty-badge" aria-label="Unsaved changes">
              ● Unsaved
            </span>
          ) : (
            state.saveNote && (
              <span className="muted" role="status">
                {state.saveNote}
              </span>
            )
          )}
        </div>
        <span className="spacer" />
        {mock && (
          <span className="mock-url">
            <span className="muted">Mock</span>
            <code aria-label="Mock base URL">{mock.baseURL}</code>
            <CopyButton text={mock.baseURL} label="Copy mock base URL" />
          </span>
        )}
        <button type="button" className="btn btn-small" onClick={() => setPublishing(true)} title="Publish this API to a catalog of the management server">
          Publish
        </button>
        <button type="button" className="btn btn-small" onClick={() => void link()} title={state.linkedPath ? `Stop following ${state.linkedPath}` : 'Follow a spec file on disk'}>
          <Icon name={state.linkedPath ? 'unlink' : 'link'} /> {state.linkedPath ? 'Unlink file' : 'Link file…'}
        </button>
        <button type="button" className="btn btn-small" aria-pressed={docsOpen} onClick={() => setDocsOpen((v) => !v)}>
          <Icon name="docs" /> Docs
        </button>
        <button
          type="button"
          className="btn btn-small btn-primary"
          disabled={!state.dirty || state.saving}
          onClick={() => void session.save()}
          title={`Save a new revision (${keyLabel('Mod+S')})`}
        >
          <Icon name="save" /> {state.saving ? 'Saving…' : 'Save'}
        </button>
      </div>

      {state.diskText !== null && (
        <div role="alert" className="banner banner-warning">
          <Icon name="alert" />
          <span>The linked file changed on disk while you have unsaved edits.</span>
          <button type="button" className="btn btn-small" onClick={() => session.reloadFromDisk()}>
            Reload from disk
          </button>
          <button type="button" className="btn btn-small" onClick={() => session.keepEdits()}>
            Keep my edits
          </button>
        </div>
      )}
      {state.saveError && (
        <div role="alert" className="banner banner-error">
          <Icon name="alert" />
          <span>
            <strong>Not saved.</strong> {state.saveError} Your text is still here: fix the problem and save again.
          </span>
          <button type="button" className="btn-icon" aria-label="Dismiss save error" onClick={() => session.dismissSaveError()}>
            <Icon name="close" />
          </button>
        </div>
      )}

      <div className={`design-body ${docsOpen ? 'with-docs' : ''}`}>
        <Outline items={state.outline} onJump={onJump} onEdit={onEditOperation} onDelete={setDeleting} />
        <div className="editor-pane">
          <CodeEditor
            ref={editor}
            text={state.text}
            textVersion={state.textVersion}
            diagnostics={state.diagnostics}
            root={state.root}
            onChange={(read, length) => session.edit(read, length)}
            label={`Spec of ${api.name}`}
          />
        </div>
        {docsOpen && <DocsPreview html={state.docsHTML} error={state.docsError} loading={state.docsLoading} />}
      </div>
      {form && (
        <OperationDialog
          from={form.from}
          initial={form.op}
          onClose={() => setForm(null)}
          onSubmit={async (op) => {
            const text = await workspace.WriteOperation(currentText(), form.from, op);
            editor.current?.replaceText(text);
            setForm(null);
            notify({ kind: 'success', title: `${form.from ? 'Updated' : 'Added'} ${op.method.toUpperCase()} ${op.path}`, detail: 'Undo in the editor takes it back; save to keep it.' });
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete ${deleting.method.toUpperCase()} ${deleting.path}?`}
          message={<p>The operation is removed from the spec in the editor. Undo takes it back; nothing is saved until you save.</p>}
          confirmLabel="Delete operation"
          danger
          onCancel={() => setDeleting(null)}
          onConfirm={async () => {
            const item = deleting;
            setDeleting(null);
            try {
              editor.current?.replaceText(await workspace.DeleteOperation(currentText(), item.path, item.method.toLowerCase()));
            } catch (e) {
              notify({ kind: 'error', title: `Could not delete ${item.method.toUpperCase()} ${item.path}`, detail: errorMessage(e) });
            }
          }}
        />
      )}
      <ProblemsPanel
        diagnostics={state.diagnostics}
        root={state.root}
        checking={state.checking}
        checkError={state.checkError}
        onJump={onJumpToProblem}
        onEditRules={onEditRules}
      />
      {rulesOpen && <RulesetDialog onSaved={() => void session?.check()} onClose={() => setRulesOpen(false)} />}
      {publishing && <PublishDialog api={api.name} onClose={() => setPublishing(false)} />}
    </div>
  );
}
