// The editing session of one API's spec: loading, debounced checking with
// stale answers dropped, saving, docs rendering, and changes on disk. Plain
// TypeScript with a subscribe/getState pair, so React only renders it.

import type { Diagnostic, OutlineItem, WorkspaceAPI } from '../api';
import { errorMessage } from '../api';
import { debounce, Latest, type Debounced } from '../lib/async';

export const CHECK_DELAY_MS = 250;
export const DOCS_DELAY_MS = 500;

export interface SessionState {
  api: string;
  status: 'loading' | 'ready' | 'error';
  loadError: string;
  /** The file the spec's diagnostics are relative to. */
  root: string;
  files: string[];
  linkedPath: string;
  revision: number;
  /** The text to put into the editor; it changes only when textVersion does. */
  text: string;
  textVersion: number;
  /** The text of the latest saved revision. */
  savedText: string;
  dirty: boolean;
  diagnostics: Diagnostic[];
  outline: OutlineItem[];
  checking: boolean;
  checkError: string;
  saving: boolean;
  saveError: string;
  /** What the last save did ("Saved as revision 4"). */
  saveNote: string;
  /** Text of the linked file that changed on disk while there were unsaved edits. */
  diskText: string | null;
  docsHTML: string;
  docsError: string;
  docsLoading: boolean;
}

export function initialState(api: string): SessionState {
  return {
    api,
    status: 'loading',
    loadError: '',
    root: '',
    files: [],
    linkedPath: '',
    revision: 0,
    text: '',
    textVersion: 0,
    savedText: '',
    dirty: false,
    diagnostics: [],
    outline: [],
    checking: false,
    checkError: '',
    saving: false,
    saveError: '',
    saveNote: '',
    diskText: null,
    docsHTML: '',
    docsError: '',
    docsLoading: false,
  };
}

export interface SessionOptions {
  checkDelayMs?: number;
  docsDelayMs?: number;
}

export class SpecSession {
  private state: SessionState;
  private readonly listeners = new Set<() => void>();
  private current = '';
  /** Reads the editor's text when it is needed: set by edits that do not pass the text itself. */
  private pending: (() => string) | null = null;
  private pendingLength = 0;
  private readonly checks = new Latest();
  private readonly docs = new Latest();
  private readonly scheduleCheck: Debounced<[]>;
  private readonly scheduleDocs: Debounced<[]>;
  private docsWanted = false;
  /** Why the linked file's last change could not be used; '' when it could. */
  private diskError = '';
  private disposed = false;

  constructor(
    private readonly ws: WorkspaceAPI,
    readonly api: string,
    opts: SessionOptions = {},
  ) {
    this.state = initialState(api);
    // The text is read when the timer fires, so a burst of keystrokes reads it once.
    this.scheduleCheck = debounce(() => void this.check(), opts.checkDelayMs ?? CHECK_DELAY_MS);
    this.scheduleDocs = debounce(() => void this.renderDocs(), opts.docsDelayMs ?? DOCS_DELAY_MS);
  }

  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  getState = (): SessionState => this.state;

  /** The editor's current text (may be ahead of state.text, which only changes on replacement). */
  get text(): string {
    if (this.pending) {
      this.current = this.pending();
      this.pending = null;
    }
    return this.current;
  }

  async load(): Promise<void> {
    this.set({ status: 'loading', loadError: '' });
    try {
      const doc = await this.ws.Document(this.api);
      if (this.disposed) return;
      this.current = doc.text;
      this.pending = null;
      this.set({
        status: 'ready',
        root: doc.root,
        files: doc.files,
        linkedPath: doc.linkedPath,
        revision: doc.revision,
        text: doc.text,
        textVersion: this.state.textVersion + 1,
        savedText: doc.text,
        dirty: false,
        diskText: null,
      });
      void this.check(doc.text);
      if (this.docsWanted) void this.renderDocs(doc.text);
    } catch (e) {
      if (this.disposed) return;
      this.set({ status: 'error', loadError: errorMessage(e) });
    }
  }

  /**
   * The editor's text changed (typing, undo, paste). text is the new text, or a function that
   * reads it with its length: then the text is only read when it is needed (a check, a save,
   * or telling whether it equals the saved text when the lengths match), not on every keystroke.
   */
  edit(text: string | (() => string), length?: number): void {
    let dirty: boolean;
    if (typeof text === 'string') {
      if (text === this.text) return;
      this.current = text;
      dirty = text !== this.state.savedText;
    } else {
      const n = length ?? text().length;
      if (n === (this.pending ? this.pendingLength : this.current.length)) {
        // Same length: compare, so a change that leaves the text as it was (the editor taking
        // replaced text) is no edit.
        const t = text();
        if (t === this.text) return;
        this.current = t;
        dirty = t !== this.state.savedText;
      } else {
        this.pending = text;
        this.pendingLength = n;
        dirty = n !== this.state.savedText.length || this.text !== this.state.savedText;
      }
    }
    // One state change per keystroke at most (none while a burst of typing keeps these the same).
    this.set({ dirty, saveNote: '', checking: true });
    this.scheduleCheck();
    if (this.docsWanted) this.scheduleDocs();
  }

  /** Checks text now; the answer is applied only if it is for the newest request and the text is unchanged. */
  async check(text: string = this.text): Promise<void> {
    this.scheduleCheck.cancel();
    this.set({ checking: true });
    try {
      const r = await this.checks.run(() => this.ws.Check(this.api, text));
      if (!r.current || this.disposed || text !== this.text) return;
      // Unchanged answers keep their arrays, so the lists and the editor's marks are not redrawn.
      const diagnostics = sameDiagnostics(this.state.diagnostics, r.value.diagnostics) ? this.state.diagnostics : r.value.diagnostics;
      const outline = sameOutline(this.state.outline, r.value.outline) ? this.state.outline : r.value.outline;
      this.set({ diagnostics, outline, checking: false, checkError: '' });
    } catch (e) {
      if (this.disposed || text !== this.text) return;
      this.set({ checking: false, checkError: errorMessage(e) });
    }
  }

  async save(): Promise<boolean> {
    if (this.state.saving || this.state.status !== 'ready') return false;
    const text = this.text;
    this.set({ saving: true, saveError: '', saveNote: '' });
    try {
      const r = await this.ws.Save(this.api, text);
      if (this.disposed) return false;
      const stillSame = this.text === text;
      this.set({
        saving: false,
        revision: r.revision,
        savedText: text,
        dirty: !stillSame,
        saveNote: r.added ? `Saved as revision ${r.revision}` : `No changes since revision ${r.revision}`,
        ...(stillSame ? { diagnostics: r.diagnostics } : {}),
      });
      return true;
    } catch (e) {
      if (this.disposed) return false;
      this.set({ saving: false, saveError: errorMessage(e) });
      return false;
    }
  }

  dismissSaveError(): void {
    this.set({ saveError: '' });
  }

  /** The linked file changed on disk: take it when nothing is unsaved, else hold it for the user to decide. */
  /**
   * Takes in a change of the linked file. error says why its text could not be used: the
   * API keeps its last good revision (and the running gateway its routes), which the note
   * says.
   */
  diskChanged(text: string, error = ''): void {
    this.diskError = error;
    if (text === this.text) {
      this.set({ savedText: text, dirty: false, diskText: null });
      return;
    }
    if (this.state.dirty) {
      this.set({ diskText: text });
      return;
    }
    this.replace(text);
  }

  /** Takes the held text from disk, dropping unsaved edits. */
  reloadFromDisk(): void {
    if (this.state.diskText !== null) this.replace(this.state.diskText);
  }

  keepEdits(): void {
    this.set({ diskText: null });
  }

  /** Turns docs rendering on (the preview is visible) or off. */
  wantDocs(on: boolean): void {
    this.docsWanted = on;
    if (on && this.state.status === 'ready') void this.renderDocs();
    if (!on) this.scheduleDocs.cancel();
  }

  async renderDocs(text: string = this.text): Promise<void> {
    this.scheduleDocs.cancel();
    this.set({ docsLoading: true });
    try {
      const r = await this.docs.run(() => this.ws.RenderDocs(this.api, text));
      if (!r.current || this.disposed) return;
      this.set({ docsHTML: r.value, docsError: '', docsLoading: false });
    } catch (e) {
      if (this.disposed) return;
      this.set({ docsError: errorMessage(e), docsLoading: false });
    }
  }

  setLinkedPath(path: string): void {
    this.set({ linkedPath: path });
  }

  dispose(): void {
    this.disposed = true;
    this.scheduleCheck.cancel();
    this.scheduleDocs.cancel();
    this.checks.cancel();
    this.docs.cancel();
    this.listeners.clear();
  }

  private replace(text: string): void {
    this.current = text;
    this.pending = null;
    const saveNote = this.diskError
      ? `Reloaded from the linked file, which cannot be used: ${this.diskError}. Revision ${this.state.revision} stays in use until the file is fixed.`
      : 'Reloaded from the linked file';
    this.set({ text, textVersion: this.state.textVersion + 1, savedText: text, dirty: false, diskText: null, saveNote });
    void this.check(text);
    if (this.docsWanted) this.scheduleDocs();
  }

  private set(patch: Partial<SessionState>): void {
    let changed = false;
    for (const k of Object.keys(patch) as (keyof SessionState)[]) {
      if (this.state[k] !== patch[k]) {
        changed = true;
        break;
      }
    }
    if (!changed) return;
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  }
}

function sameDiagnostics(a: readonly Diagnostic[], b: readonly Diagnostic[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Diagnostic;
    const y = b[i] as Diagnostic;
    if (
      x.line !== y.line ||
      x.column !== y.column ||
      x.endLine !== y.endLine ||
      x.endColumn !== y.endColumn ||
      x.message !== y.message ||
      x.severity !== y.severity ||
      x.rule !== y.rule ||
      x.source !== y.source ||
      x.file !== y.file ||
      x.pointer !== y.pointer
    ) {
      return false;
    }
  }
  return true;
}

function sameOutline(a: readonly OutlineItem[], b: readonly OutlineItem[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as OutlineItem;
    const y = b[i] as OutlineItem;
    if (x.line !== y.line || x.path !== y.path || x.method !== y.method || x.operationId !== y.operationId || x.summary !== y.summary) return false;
  }
  return true;
}
