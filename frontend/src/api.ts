// The one typed door to the Go side. Every call the UI makes goes through a
// Backend: either the Wails bindings (window.go.app.*) in the desktop app, or
// the in-memory fake (fake.ts) in tests and in a plain browser.
//
// JSON field names below are the wire contract with the Go services in app/.

/** Severity of a diagnostic, most to least serious. */
export type Severity = 'error' | 'warning' | 'info' | 'hint';

/** A problem found in a spec. Lines and columns are 1-based; 0 means unknown. */
export interface Diagnostic {
  severity: Severity;
  source: 'parser' | 'lint';
  rule: string;
  message: string;
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  pointer: string;
}

/** One API of the workspace as the sidebar lists it. */
export interface APISummary {
  name: string;
  title: string;
  version: string;
  operations: number;
  revisions: number;
  latestRevision: number;
  /** The file on disk this API follows; "" when not linked. */
  linkedPath: string;
  updatedAt: string;
}

export interface ImportResult {
  api: APISummary;
  warnings: Diagnostic[];
}

/** Payload of the `import:progress` event. */
export interface ImportProgress {
  stage: string;
  done: number;
  total: number;
}

export type Template = 'blank' | 'petstore';

/** The editable text of an API's spec (named SpecDocument to keep clear of the DOM's Document). */
export interface SpecDocument {
  api: string;
  root: string;
  text: string;
  linkedPath: string;
  revision: number;
  files: string[];
}

export interface OutlineItem {
  path: string;
  method: string;
  operationId: string;
  summary: string;
  line: number;
}

export interface CheckResult {
  diagnostics: Diagnostic[];
  outline: OutlineItem[];
}

export interface SaveResult {
  revision: number;
  /** False when the text equals the latest revision and nothing was stored. */
  added: boolean;
  diagnostics: Diagnostic[];
}

/** Payload of `document:changed`: the linked file of `api` changed on disk. */
export interface DocumentChanged {
  api: string;
  text: string;
}

export interface GatewayAPIStatus {
  name: string;
  baseURL: string;
  operations: number;
}

export interface GatewayStatus {
  running: boolean;
  listen: string;
  baseURL: string;
  apis: GatewayAPIStatus[];
  revision: number;
  /** The last rejected reload ("" when the last reload was accepted). */
  error: string;
}

export type StatusClass = '' | '2xx' | '3xx' | '4xx' | '5xx';

export interface TrafficFilter {
  method: string;
  statusClass: StatusClass;
  text: string;
  api: string;
  limit: number;
  /** Page older than this exchange id; "" for the newest page. */
  beforeId: string;
}

export interface ExchangeRow {
  id: string;
  startedAt: string;
  api: string;
  method: string;
  url: string;
  path: string;
  status: number;
  durationMs: number;
  consumer: string;
  violations: number;
}

export interface Message {
  headers: [string, string][];
  contentType: string;
  body: string;
  bodyEncoding: 'text' | 'base64';
  truncated: boolean;
}

export interface Violation {
  in: string;
  pointer: string;
  message: string;
}

export interface MatchedOperation {
  id: string;
  method: string;
  path: string;
}

/** An exchange in full. Its `violations` lists them, where a row only counts them. */
export interface ExchangeDetail extends Omit<ExchangeRow, 'violations'> {
  operation: MatchedOperation | null;
  request: Message;
  response: Message;
  violations: Violation[];
}

export interface WorkspaceAPI {
  Info(): Promise<{ dbPath: string }>;
  ListAPIs(): Promise<APISummary[]>;
  ChooseAndImport(): Promise<ImportResult | null>;
  Import(path: string): Promise<ImportResult>;
  Create(name: string, template: Template): Promise<APISummary>;
  Remove(name: string): Promise<void>;
  Document(name: string): Promise<SpecDocument>;
  Check(name: string, text: string): Promise<CheckResult>;
  Save(name: string, text: string): Promise<SaveResult>;
  Link(name: string, path: string): Promise<void>;
  ChooseLink(name: string): Promise<string>;
  Unlink(name: string): Promise<void>;
  RenderDocs(name: string, text: string): Promise<string>;
}

export interface GatewayAPI {
  Status(): Promise<GatewayStatus>;
  Start(listen: string, apis: string[]): Promise<GatewayStatus>;
  Stop(): Promise<GatewayStatus>;
}

export interface TrafficAPI {
  List(filter: TrafficFilter): Promise<ExchangeRow[]>;
  Get(id: string): Promise<ExchangeDetail>;
  Curl(id: string): Promise<string>;
  Replay(id: string): Promise<ExchangeRow>;
  ExportHAR(filter: TrafficFilter): Promise<string>;
  Clear(): Promise<void>;
}

/** Live events from Go and their payloads. */
export interface EventMap {
  'import:progress': ImportProgress;
  'apis:changed': undefined;
  'document:changed': DocumentChanged;
  'gateway:status': GatewayStatus;
  'traffic:exchanges': ExchangeRow[];
}

export type EventName = keyof EventMap;
export type Unsubscribe = () => void;

export interface Events {
  on<E extends EventName>(name: E, cb: (payload: EventMap[E]) => void): Unsubscribe;
}

/** Things the host window does for the UI. */
export interface Platform {
  /** Calls cb with the paths of files dropped on the window; null when the host can't tell paths. */
  onFileDrop(cb: (paths: string[]) => void): Unsubscribe | null;
  copyText(text: string): Promise<void>;
  openURL(url: string): void;
}

export interface Backend {
  kind: 'wails' | 'fake';
  workspace: WorkspaceAPI;
  gateway: GatewayAPI;
  traffic: TrafficAPI;
  events: Events;
  platform: Platform;
}

// ---------------------------------------------------------------------------
// Normalizers. Go marshals nil slices as null; the UI wants arrays.

function arr<T>(v: T[] | null | undefined): T[] {
  return Array.isArray(v) ? v : [];
}

export function normalizeSummary(s: APISummary): APISummary {
  return { ...s, linkedPath: s.linkedPath ?? '', title: s.title ?? '', version: s.version ?? '' };
}

export function normalizeCheck(r: CheckResult | null): CheckResult {
  return { diagnostics: arr(r?.diagnostics), outline: arr(r?.outline) };
}

export function normalizeStatus(s: GatewayStatus): GatewayStatus {
  return { ...s, apis: arr(s.apis), error: s.error ?? '' };
}

function normalizeMessage(m: Message | null | undefined): Message {
  return {
    headers: arr(m?.headers),
    contentType: m?.contentType ?? '',
    body: m?.body ?? '',
    bodyEncoding: m?.bodyEncoding === 'base64' ? 'base64' : 'text',
    truncated: Boolean(m?.truncated),
  };
}

export function normalizeDetail(d: ExchangeDetail): ExchangeDetail {
  return {
    ...d,
    operation: d.operation ?? null,
    request: normalizeMessage(d.request),
    response: normalizeMessage(d.response),
    violations: arr(d.violations),
  };
}

/** The message of whatever a rejected call threw (Wails rejects with a string). */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}

// ---------------------------------------------------------------------------
// Wails.

interface WailsRuntime {
  EventsOn(name: string, cb: (...data: unknown[]) => void): Unsubscribe;
  OnFileDrop?(cb: (x: number, y: number, paths: string[]) => void, useDropTarget: boolean): void;
  OnFileDropOff?(): void;
  ClipboardSetText?(text: string): Promise<boolean>;
  BrowserOpenURL?(url: string): void;
}

interface WailsBindings {
  app: {
    WorkspaceService: WorkspaceAPI;
    GatewayService: GatewayAPI;
    TrafficService: TrafficAPI;
  };
}

/** The parts of `window` the Wails runtime adds. */
export interface WailsWindow {
  go?: WailsBindings;
  runtime?: WailsRuntime;
}

declare global {
  interface Window {
    go?: WailsBindings;
    runtime?: WailsRuntime;
  }
}

/** Turns a rejection (a bare string from Wails) into an Error with that message. */
async function call<T>(p: () => Promise<T>): Promise<T> {
  try {
    return await p();
  } catch (e) {
    throw new Error(errorMessage(e));
  }
}

export function hasWails(w: WailsWindow): boolean {
  return Boolean(w.go?.app?.WorkspaceService && w.runtime?.EventsOn);
}

export function createWailsBackend(w: WailsWindow): Backend {
  const go = w.go;
  const rt = w.runtime;
  if (!go || !rt) throw new Error('the Wails runtime is not loaded');
  const ws = go.app.WorkspaceService;
  const gw = go.app.GatewayService;
  const tr = go.app.TrafficService;

  const workspace: WorkspaceAPI = {
    Info: () => call(() => ws.Info()),
    ListAPIs: async () => arr(await call(() => ws.ListAPIs())).map(normalizeSummary),
    ChooseAndImport: async () => {
      const r = await call(() => ws.ChooseAndImport());
      return r ? { api: normalizeSummary(r.api), warnings: arr(r.warnings) } : null;
    },
    Import: async (path) => {
      const r = await call(() => ws.Import(path));
      return { api: normalizeSummary(r.api), warnings: arr(r.warnings) };
    },
    Create: async (name, template) => normalizeSummary(await call(() => ws.Create(name, template))),
    Remove: (name) => call(() => ws.Remove(name)),
    Document: async (name) => {
      const d = await call(() => ws.Document(name));
      return { ...d, linkedPath: d.linkedPath ?? '', files: arr(d.files) };
    },
    Check: async (name, text) => normalizeCheck(await call(() => ws.Check(name, text))),
    Save: async (name, text) => {
      const r = await call(() => ws.Save(name, text));
      return { ...r, diagnostics: arr(r.diagnostics) };
    },
    Link: (name, path) => call(() => ws.Link(name, path)),
    ChooseLink: async (name) => (await call(() => ws.ChooseLink(name))) ?? '',
    Unlink: (name) => call(() => ws.Unlink(name)),
    RenderDocs: async (name, text) => (await call(() => ws.RenderDocs(name, text))) ?? '',
  };

  const gateway: GatewayAPI = {
    Status: async () => normalizeStatus(await call(() => gw.Status())),
    Start: async (listen, apis) => normalizeStatus(await call(() => gw.Start(listen, apis))),
    Stop: async () => normalizeStatus(await call(() => gw.Stop())),
  };

  const traffic: TrafficAPI = {
    List: async (filter) => arr(await call(() => tr.List(filter))),
    Get: async (id) => normalizeDetail(await call(() => tr.Get(id))),
    Curl: (id) => call(() => tr.Curl(id)),
    Replay: (id) => call(() => tr.Replay(id)),
    ExportHAR: async (filter) => (await call(() => tr.ExportHAR(filter))) ?? '',
    Clear: () => call(() => tr.Clear()),
  };

  const events: Events = {
    on(name, cb) {
      return rt.EventsOn(name, (payload: unknown) => {
        cb(normalizeEvent(name, payload));
      });
    },
  };

  const platform: Platform = {
    onFileDrop(cb) {
      if (!rt.OnFileDrop) return null;
      rt.OnFileDrop((_x, _y, paths) => cb(arr(paths)), false);
      return () => rt.OnFileDropOff?.();
    },
    async copyText(text) {
      if (rt.ClipboardSetText && (await rt.ClipboardSetText(text))) return;
      await navigator.clipboard.writeText(text);
    },
    openURL(url) {
      if (rt.BrowserOpenURL) rt.BrowserOpenURL(url);
      else window.open(url, '_blank', 'noopener,noreferrer');
    },
  };

  return { kind: 'wails', workspace, gateway, traffic, events, platform };
}

/** Normalizes an event payload as it comes off the Wails bus. */
export function normalizeEvent<E extends EventName>(name: E, payload: unknown): EventMap[E] {
  switch (name) {
    case 'traffic:exchanges':
      return arr(payload as ExchangeRow[] | null) as EventMap[E];
    case 'gateway:status':
      return normalizeStatus(payload as GatewayStatus) as EventMap[E];
    default:
      return payload as EventMap[E];
  }
}

/** Options for the fake when the UI runs in a plain browser (read from the page's query string). */
export interface FakeOptions {
  /** Extra historical exchanges to seed (for trying the traffic list at scale). */
  seedTraffic?: number;
  /** Synthetic exchanges per second while the gateway runs (0: none). */
  liveRate?: number;
  /** Artificial latency of every call, in milliseconds. */
  latencyMs?: number;
  /** Use the dev server's fake-gateway bridge so real HTTP requests show up as traffic. */
  bridge?: boolean;
  /** Offer the exported HAR as a browser download. */
  download?: boolean;
  /** Start with an empty workspace and no traffic. */
  empty?: boolean;
  /** Exchanges to stream as `traffic:exchanges` events right after the gateway starts (a load test). */
  burst?: number;
}

/** Picks the Wails backend inside the desktop app and the fake everywhere else. */
export async function loadBackend(w: Window, fakeOptions: FakeOptions = {}): Promise<Backend> {
  if (hasWails(w)) return createWailsBackend(w);
  const { createFakeBackend } = await import('./fake');
  return createFakeBackend(fakeOptions);
}
