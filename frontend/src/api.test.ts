import { describe, expect, it, vi } from 'vitest';
import { createWailsBackend, errorMessage, hasWails, type WailsWindow } from './api';

function wailsWindow() {
  const handlers = new Map<string, (...data: unknown[]) => void>();
  const ws = {
    ListAPIs: vi.fn(async () => null),
    Check: vi.fn(async () => ({ diagnostics: null, outline: null })),
    Document: vi.fn(async () => ({ api: 'a', root: 'a.yaml', text: '', linkedPath: null, revision: 1, files: null })),
    Save: vi.fn(async () => Promise.reject('spec does not parse: a.yaml:3:1')),
    ChooseAndImport: vi.fn(async () => null),
  };
  const gw = { Status: vi.fn(async () => ({ running: false, listen: '', baseURL: '', apis: null, revision: 0, error: '' })) };
  const tr = {
    List: vi.fn(async () => null),
    Get: vi.fn(async () => ({
      id: 'x',
      operation: undefined,
      request: { headers: null, contentType: '', body: '', bodyEncoding: 'text', truncated: false },
      response: null,
      violations: null,
    })),
  };
  const win = {
    go: { app: { WorkspaceService: ws, GatewayService: gw, TrafficService: tr } },
    runtime: {
      EventsOn: vi.fn((name: string, cb: (...data: unknown[]) => void) => {
        handlers.set(name, cb);
        return () => handlers.delete(name);
      }),
      ClipboardSetText: vi.fn(async () => true),
      OnFileDrop: vi.fn(),
      OnFileDropOff: vi.fn(),
    },
  };
  return { win: win as unknown as WailsWindow, ws, gw, tr, handlers, runtime: win.runtime };
}

describe('the Wails backend', () => {
  it('is chosen only when the bindings and runtime are there', () => {
    expect(hasWails({})).toBe(false);
    expect(hasWails({ go: undefined, runtime: undefined })).toBe(false);
    expect(hasWails(wailsWindow().win)).toBe(true);
  });

  it('turns Go nil slices into empty arrays', async () => {
    const { win } = wailsWindow();
    const b = createWailsBackend(win);
    expect(await b.workspace.ListAPIs()).toEqual([]);
    expect(await b.workspace.Check('a', '')).toEqual({ diagnostics: [], outline: [] });
    expect(await b.workspace.Document('a')).toMatchObject({ linkedPath: '', files: [] });
    expect((await b.gateway.Status()).apis).toEqual([]);
    expect(await b.traffic.List({ method: '', statusClass: '', text: '', api: '', limit: 10, beforeId: '' })).toEqual([]);
    const x = await b.traffic.Get('x');
    expect(x.operation).toBeNull();
    expect(x.violations).toEqual([]);
    expect(x.request.headers).toEqual([]);
    expect(x.response).toEqual({ headers: [], contentType: '', body: '', bodyEncoding: 'text', truncated: false });
    expect(await b.workspace.ChooseAndImport()).toBeNull();
  });

  it('rejects with an Error carrying the Go error string', async () => {
    const b = createWailsBackend(wailsWindow().win);
    await expect(b.workspace.Save('a', 'x')).rejects.toThrow('spec does not parse: a.yaml:3:1');
  });

  it('subscribes to events and normalizes their payloads', () => {
    const { win, handlers } = wailsWindow();
    const b = createWailsBackend(win);
    const got: unknown[] = [];
    const off = b.events.on('traffic:exchanges', (rows) => got.push(rows));
    handlers.get('traffic:exchanges')?.(null);
    b.events.on('gateway:status', (s) => got.push(s.apis));
    handlers.get('gateway:status')?.({ running: true, apis: null });
    expect(got).toEqual([[], []]);
    off();
    expect(handlers.has('traffic:exchanges')).toBe(false);
  });

  it('uses the runtime for dropped files and the clipboard', async () => {
    const { win, runtime } = wailsWindow();
    const b = createWailsBackend(win);
    const paths: string[][] = [];
    const off = b.platform.onFileDrop((p) => paths.push(p));
    const cb = runtime.OnFileDrop.mock.calls[0]?.[0] as (x: number, y: number, p: string[]) => void;
    cb(1, 2, ['/tmp/a.yaml']);
    expect(paths).toEqual([['/tmp/a.yaml']]);
    off?.();
    expect(runtime.OnFileDropOff).toHaveBeenCalled();
    await b.platform.copyText('hi');
    expect(runtime.ClipboardSetText).toHaveBeenCalledWith('hi');
  });
});

describe('errorMessage', () => {
  it('reads errors, strings and anything else', () => {
    expect(errorMessage(new Error('a'))).toBe('a');
    expect(errorMessage('b')).toBe('b');
    expect(errorMessage({ code: 1 })).toBe('{"code":1}');
  });
});
