import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CheckResult, Diagnostic, SaveResult, SpecDocument, WorkspaceAPI } from '../api';
import { SpecSession } from './session';

const diag = (message: string, line = 1): Diagnostic => ({
  severity: 'error',
  source: 'parser',
  rule: 'yaml-syntax',
  message,
  file: 'pets.yaml',
  line,
  column: 1,
  endLine: 0,
  endColumn: 0,
  pointer: '',
});

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function stubWorkspace(text = 'openapi: 3.1.0\n') {
  const doc: SpecDocument = { api: 'pets', root: 'pets.yaml', text, linkedPath: '', revision: 3, files: ['pets.yaml'] };
  const checks: { text: string; d: ReturnType<typeof deferred<CheckResult>> }[] = [];
  const ws = {
    Document: vi.fn(async () => doc),
    Check: vi.fn((_name: string, t: string) => {
      const d = deferred<CheckResult>();
      checks.push({ text: t, d });
      return d.promise;
    }),
    Save: vi.fn(async (): Promise<SaveResult> => ({ revision: 4, added: true, diagnostics: [] })),
    RenderDocs: vi.fn(async (_n: string, t: string) => `<p>${t.length}</p>`),
  };
  return { ws: ws as unknown as WorkspaceAPI, raw: ws, checks };
}

const flush = () => vi.advanceTimersByTimeAsync(0);

describe('SpecSession', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
  afterEach(() => vi.useRealTimers());

  it('loads the document and checks it once', async () => {
    const { ws, raw, checks } = stubWorkspace();
    const s = new SpecSession(ws, 'pets');
    await s.load();
    expect(s.getState()).toMatchObject({ status: 'ready', root: 'pets.yaml', revision: 3, dirty: false, textVersion: 1 });
    expect(raw.Check).toHaveBeenCalledTimes(1);
    checks[0]?.d.resolve({ diagnostics: [], outline: [{ path: '/pets', method: 'GET', operationId: 'list', summary: '', line: 3 }] });
    await vi.runAllTimersAsync();
    expect(s.getState().outline).toHaveLength(1);
    expect(s.getState().checking).toBe(false);
  });

  it('checks 250 ms after the last keystroke, once for a burst', async () => {
    const { ws, raw } = stubWorkspace();
    const s = new SpecSession(ws, 'pets');
    await s.load();
    raw.Check.mockClear();
    s.edit('a');
    vi.advanceTimersByTime(100);
    s.edit('ab');
    vi.advanceTimersByTime(249);
    expect(raw.Check).not.toHaveBeenCalled();
    expect(s.getState().dirty).toBe(true);
    expect(s.getState().checking).toBe(true);
    vi.advanceTimersByTime(1);
    expect(raw.Check).toHaveBeenCalledTimes(1);
    expect(raw.Check).toHaveBeenLastCalledWith('pets', 'ab');
  });

  it('ignores an answer for text that is no longer current', async () => {
    const { ws, checks } = stubWorkspace();
    const s = new SpecSession(ws, 'pets');
    await s.load();
    s.edit('v1');
    vi.advanceTimersByTime(250);
    s.edit('v2');
    vi.advanceTimersByTime(250);
    const [, first, second] = checks;
    second?.d.resolve({ diagnostics: [diag('for v2')], outline: [] });
    await flush();
    first?.d.resolve({ diagnostics: [diag('for v1')], outline: [] });
    await flush();
    expect(s.getState().diagnostics.map((d) => d.message)).toEqual(['for v2']);
  });

  it('drops an answer when the text changed after the request, even before the next check', async () => {
    const { ws, checks } = stubWorkspace();
    const s = new SpecSession(ws, 'pets');
    await s.load();
    s.edit('v1');
    vi.advanceTimersByTime(250);
    s.edit('v1 and more');
    checks[1]?.d.resolve({ diagnostics: [diag('stale')], outline: [] });
    await flush();
    expect(s.getState().diagnostics).toEqual([]);
    expect(s.getState().checking).toBe(true);
  });

  it('saves, and reports a refused save without touching the text', async () => {
    const { ws, raw } = stubWorkspace();
    const s = new SpecSession(ws, 'pets');
    await s.load();
    s.edit('broken: [');
    raw.Save.mockRejectedValueOnce(new Error('pets.yaml:1:9: did not find expected ]'));
    expect(await s.save()).toBe(false);
    expect(s.getState()).toMatchObject({ saveError: 'pets.yaml:1:9: did not find expected ]', dirty: true });
    expect(s.text).toBe('broken: [');
    s.edit('fixed: []');
    expect(await s.save()).toBe(true);
    expect(s.getState()).toMatchObject({ revision: 4, dirty: false, saveError: '', saveNote: 'Saved as revision 4', savedText: 'fixed: []' });
  });

  it('says when a save added nothing', async () => {
    const { ws, raw } = stubWorkspace();
    raw.Save.mockResolvedValueOnce({ revision: 3, added: false, diagnostics: [] });
    const s = new SpecSession(ws, 'pets');
    await s.load();
    s.edit('x');
    await s.save();
    expect(s.getState().saveNote).toBe('No changes since revision 3');
  });

  it('takes a change on disk when there are no unsaved edits', async () => {
    const { ws } = stubWorkspace();
    const s = new SpecSession(ws, 'pets');
    await s.load();
    s.diskChanged('openapi: 3.1.1\n');
    expect(s.getState()).toMatchObject({ text: 'openapi: 3.1.1\n', textVersion: 2, dirty: false, diskText: null });
    expect(s.text).toBe('openapi: 3.1.1\n');
  });

  it('says when a change on disk could not be used, and that the last good revision stays', async () => {
    const { ws } = stubWorkspace();
    const s = new SpecSession(ws, 'pets');
    await s.load();
    const revision = s.getState().revision;
    s.diskChanged('openapi: [', 'pets.yaml:1:10: did not find expected node content');
    expect(s.getState()).toMatchObject({ text: 'openapi: [', dirty: false, revision });
    expect(s.getState().saveNote).toBe(
      `Reloaded from the linked file, which cannot be used: pets.yaml:1:10: did not find expected node content. Revision ${revision} stays in use until the file is fixed.`,
    );
    s.diskChanged('openapi: 3.1.1\n');
    expect(s.getState().saveNote).toBe('Reloaded from the linked file');
  });

  it('holds a change on disk while there are unsaved edits, until the user decides', async () => {
    const { ws } = stubWorkspace();
    const s = new SpecSession(ws, 'pets');
    await s.load();
    s.edit('mine');
    s.diskChanged('theirs');
    expect(s.getState()).toMatchObject({ diskText: 'theirs', dirty: true, textVersion: 1 });
    s.keepEdits();
    expect(s.getState().diskText).toBeNull();
    s.diskChanged('theirs again');
    s.reloadFromDisk();
    expect(s.getState()).toMatchObject({ text: 'theirs again', dirty: false, diskText: null, textVersion: 2 });
  });

  it('renders docs only while they are wanted, debounced', async () => {
    const { ws, raw } = stubWorkspace();
    const s = new SpecSession(ws, 'pets');
    await s.load();
    s.edit('abc');
    vi.advanceTimersByTime(1000);
    expect(raw.RenderDocs).not.toHaveBeenCalled();
    s.wantDocs(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(raw.RenderDocs).toHaveBeenCalledTimes(1);
    expect(s.getState().docsHTML).toBe('<p>3</p>');
    s.edit('abcd');
    await vi.advanceTimersByTimeAsync(500);
    expect(raw.RenderDocs).toHaveBeenCalledTimes(2);
  });

  it('shows why the document could not be opened', async () => {
    const { ws, raw } = stubWorkspace();
    raw.Document.mockRejectedValueOnce('no API named "pets"');
    const s = new SpecSession(ws, 'pets');
    await s.load();
    expect(s.getState()).toMatchObject({ status: 'error', loadError: 'no API named "pets"' });
  });

  it('reads the text of a keystroke only when it needs it, with one state change per burst', async () => {
    const { ws, raw, checks } = stubWorkspace('openapi: 3.1.0\n');
    const s = new SpecSession(ws, 'pets');
    await s.load();
    raw.Check.mockClear();
    let reads = 0;
    const lazy = (t: string) => () => {
      reads++;
      return t;
    };
    let changes = 0;
    s.subscribe(() => changes++);
    s.edit(lazy('openapi: 3.1.0\nx'), 16);
    s.edit(lazy('openapi: 3.1.0\nxy'), 17);
    s.edit(lazy('openapi: 3.1.0\nxyz'), 18);
    expect(reads).toBe(0);
    expect(changes).toBe(1);
    expect(s.getState()).toMatchObject({ dirty: true, checking: true });
    vi.advanceTimersByTime(250);
    expect(reads).toBe(1);
    expect(checks.at(-1)?.text).toBe('openapi: 3.1.0\nxyz');
    // Undoing back to the saved text (same length) compares and is clean again.
    s.edit(lazy('openapi: 3.1.0\n'), 15);
    expect(s.getState().dirty).toBe(false);
  });

  it('keeps the arrays of an unchanged check answer', async () => {
    const { ws, checks } = stubWorkspace();
    const s = new SpecSession(ws, 'pets');
    await s.load();
    const outline = [{ path: '/pets', method: 'GET', operationId: 'list', summary: '', line: 3 }];
    checks[0]?.d.resolve({ diagnostics: [diag('bad', 2)], outline });
    await flush();
    const before = s.getState();
    s.edit('openapi: 3.1.0\n# c\n');
    vi.advanceTimersByTime(250);
    checks.at(-1)?.d.resolve({ diagnostics: [diag('bad', 2)], outline: outline.map((o) => ({ ...o })) });
    await flush();
    expect(s.getState().checking).toBe(false);
    expect(s.getState().diagnostics).toBe(before.diagnostics);
    expect(s.getState().outline).toBe(before.outline);
  });
});
