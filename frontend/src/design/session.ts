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
  private readonly checks = new Latest();
  private readonly docs = new Latest();
  private readonly scheduleCheck: Debounced<[string]>;
  private readonly scheduleDocs: Debounced<[string]>;
  private docsWanted = false;
  private disposed = false;

  constructor(
    private readonly ws: WorkspaceAPI,
    readonly api: string,
    opts: SessionOptions = {},
  ) {
    this.state = initialState(api);
    this.scheduleCheck = debounce((text: string) => void this.check(text), opts.checkDelayMs ?? CHECK_DELAY_MS);
    this.scheduleDocs = debounce((text: string) => void this.renderDocs(text), opts.docsDelayMs ?? DOCS_DELAY_MS);
  }

  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  getState = (): SessionState => this.state;

  /** The editor's current text (may be ahead of state.text, which only changes on replacement). */
  get text(): string {
    return this.current;
  }

  async load(): Promise<void> {
    this.set({ status: 'loading', loadError: '' });
    try {
      const doc = await this.ws.Document(this.api);
      if (this.disposed) return;
      this.current = doc.text;
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

  /** The editor's text changed (typing, undo, paste). */
  edit(text: string): void {
    if (text === this.current) return;
    this.current = text;
    const dirty = text !== this.state.savedText;
    if (dirty !== this.state.dirty || this.state.saveNote) this.set({ dirty, saveNote: '' });
    this.set({ checking: true });
    this.scheduleCheck(text);
    if (this.docsWanted) this.scheduleDocs(text);
  }

  /** Checks text now; the answer is applied only if it is for the newest request and the text is unchanged. */
  async check(text: string = this.current): Promise<void> {
    this.scheduleCheck.cancel();
    this.set({ checking: true });
    try {
      const r = await this.checks.run(() => this.ws.Check(this.api, text));
      if (!r.current || this.disposed || text !== this.current) return;
      this.set({ diagnostics: r.value.diagnostics, outline: r.value.outline, checking: false, checkError: '' });
    } catch (e) {
      if (this.disposed || text !== this.current) return;
      this.set({ checking: false, checkError: errorMessage(e) });
    }
  }

  async save(): Promise<boolean> {
    if (this.state.saving || this.state.status !== 'ready') return false;
    const text = this.current;
    this.set({ saving: true, saveError: '', saveNote: '' });
    try {
      const r = await this.ws.Save(this.api, text);
      if (this.disposed) return false;
      const stillSame = this.current === text;
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
  diskChanged(text: string): void {
    if (text === this.current) {
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
    if (on && this.state.status === 'ready') void this.renderDocs(this.current);
    if (!on) this.scheduleDocs.cancel();
  }

  async renderDocs(text: string = this.current): Promise<void> {
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
    this.set({ text, textVersion: this.state.textVersion + 1, savedText: text, dirty: false, diskText: null, saveNote: 'Reloaded from the linked file' });
    void this.check(text);
    if (this.docsWanted) this.scheduleDocs(text);
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
