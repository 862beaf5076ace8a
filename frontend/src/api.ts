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

/** A parameter of an operation as the designer's form edits it. */
export interface OperationParameter {
  /** $ref of a parameter defined elsewhere; when set the other fields are ignored on write. */
  ref?: string;
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie' | string;
  required: boolean;
  description: string;
  /** Schema as JSON text; "" means {"type": "string"}. */
  schema: string;
  /** Example as JSON text; "" leaves it out. */
  example: string;
}

/** A request body: one media type with its schema and example. */
export interface OperationBody {
  ref?: string;
  required: boolean;
  description: string;
  mediaType: string;
  schema: string;
  example: string;
}

/** A declared response of an operation. */
export interface OperationResponse {
  /** "200", "4XX" or "default". */
  status: string;
  ref?: string;
  description: string;
  /** "" means a response without a body. */
  mediaType: string;
  schema: string;
  example: string;
}

/** One operation of an OpenAPI 3 document (core/workspace/operation.go). */
export interface Operation {
  path: string;
  /** Lower case, e.g. get. */
  method: string;
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  parameters: OperationParameter[];
  requestBody: OperationBody | null;
  responses: OperationResponse[];
}

export interface OperationKey {
  path: string;
  method: string;
}

export function normalizeOperation(o: Operation): Operation {
  return {
    ...o,
    operationId: o.operationId ?? '',
    summary: o.summary ?? '',
    description: o.description ?? '',
    tags: arr(o.tags),
    parameters: arr(o.parameters),
    requestBody: o.requestBody ?? null,
    responses: arr(o.responses),
  };
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
  /** Why the file's new text could not be used; the API keeps its last good revision. */
  error?: string;
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
  /** The operation at path and method of text. */
  Operation(text: string, path: string, method: string): Promise<Operation>;
  /** text with op written into it (replacing the operation at from, or added); a bad field rejects with "field: message". */
  WriteOperation(text: string, from: OperationKey | null, op: Operation): Promise<string>;
  /** text without the operation at path and method. */
  DeleteOperation(text: string, path: string, method: string): Promise<string>;
  /** The workspace's own lint ruleset (Spectral YAML); '' when the built-in rules apply. */
  LintRuleset(): Promise<string>;
  /** Stores the workspace's lint ruleset ('' removes it); a broken one rejects with "workspace ruleset:LINE:COL: ...". */
  SaveLintRuleset(text: string): Promise<void>;
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

// ---------------------------------------------------------------------------
// Request console (app/console.go).

/** A JSON Schema as the Go side sends it (top-level $ref resolved); null means any value. */
export type JSONSchema = {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  title?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  items?: JSONSchema | null;
  properties?: Record<string, JSONSchema>;
  required?: string[];
  $ref?: string;
  [k: string]: unknown;
} | null;

export interface FormParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: JSONSchema;
  /** The example's values: one, or one per array item. */
  values: string[];
}

export interface FormBody {
  contentType: string;
  mediaTypes: string[];
  required: boolean;
  schema: JSONSchema;
  example: string;
}

/** What a request form for one operation needs, pre-filled with a valid example. */
export interface OperationForm {
  api: string;
  operationId: string;
  method: string;
  path: string;
  summary: string;
  parameters: FormParameter[];
  credentials: FormParameter[];
  body: FormBody | null;
  /** Where the running gateway serves the API; "" when it does not. */
  baseURL: string;
}

export interface Environment {
  name: string;
  variables: Record<string, string>;
  updatedAt: string;
}

export interface Pair {
  name: string;
  value: string;
}

/** One check on an answer (core/suite Assertion): exactly one kind is set. */
export interface Assertion {
  status?: string;
  header?: string;
  jsonPointer?: string;
  schemaValid?: boolean;
  maxDurationMs?: number;
  /** A JSON value. */
  equals?: unknown;
  matches?: string;
  exists?: boolean;
}

/** A request as the console edits it; saved, it is one request file of a suite. */
export interface ConsoleRequest {
  name: string;
  description: string;
  operationId: string;
  method: string;
  /** Absolute, or relative to the target ("/pets/1"); may use {{variables}}. */
  url: string;
  headers: Pair[];
  query: Pair[];
  body: string;
  capture: Record<string, string>;
  assert: Assertion[];
  /** The request file it was loaded from; "" for a new request. */
  file: string;
}

/** Where to send: url "" means the running gateway; environment "" means no variables. */
export interface Target {
  url: string;
  environment: string;
}

export interface AssertionResult {
  assertion: string;
  passed: boolean;
  message?: string;
  field?: string;
  line?: number;
}

export interface SendResult {
  method: string;
  url: string;
  requestHeaders: [string, string][];
  status: number;
  statusText: string;
  headers: [string, string][];
  contentType: string;
  body: string;
  bodyEncoding: 'text' | 'base64';
  size: number;
  truncated: boolean;
  durationMs: number;
  operation: MatchedOperation | null;
  violations: Violation[];
  validationError: string;
  assertions: AssertionResult[];
  passed: boolean;
}

export interface SuiteInfo {
  name: string;
  requests: ConsoleRequest[];
  problems: string[];
}

export interface SuiteList {
  dir: string;
  /** True when the folder is beside the API's linked spec file (shared with `gantry test`). */
  linked: boolean;
  suites: SuiteInfo[];
}

export interface RequestResult {
  name: string;
  method: string;
  url: string;
  outcome: 'passed' | 'failed' | 'error' | 'skipped';
  status?: number;
  mediaType?: string;
  body?: string;
  /** Nanoseconds. */
  duration: number;
  assertions?: AssertionResult[];
  captured?: string[];
  error?: string;
}

export interface SuiteResult {
  suite: string;
  baseUrl?: string;
  startedAt: string;
  duration: number;
  requests: RequestResult[];
  summary: { requests: number; passed: number; failed: number; errors: number; skipped: number };
}

export interface ContractViolation {
  in: string;
  name?: string;
  message: string;
}

export interface ContractCheck {
  kind: 'valid' | 'negative';
  what: string;
  request: { method: string; url: string; header?: Record<string, string[]>; body?: string };
  expected: string;
  status?: number;
  mediaType?: string;
  body?: string;
  duration: number;
  passed: boolean;
  violations?: ContractViolation[];
  error?: string;
}

export interface ContractOperation {
  id: string;
  method: string;
  path: string;
  outcome: 'passed' | 'failed' | 'error';
  checks: ContractCheck[];
  error?: string;
  duration: number;
}

export interface ContractReport {
  api: string;
  version?: string;
  target: string;
  seed: number;
  startedAt: string;
  duration: number;
  operations: ContractOperation[];
  summary: { operations: number; passed: number; failed: number; errors: number; requests: number; failedRequests: number };
}

export interface ContractOptions {
  operations: string[];
  noNegatives: boolean;
  seed: number;
}

export interface ConsoleAPI {
  Operation(api: string, operation: string): Promise<OperationForm>;
  Environments(): Promise<Environment[]>;
  SaveEnvironment(env: Environment): Promise<Environment>;
  DeleteEnvironment(name: string): Promise<void>;
  Send(api: string, req: ConsoleRequest, target: Target): Promise<SendResult>;
  Suites(api: string): Promise<SuiteList>;
  SaveRequest(api: string, suite: string, req: ConsoleRequest): Promise<ConsoleRequest>;
  DeleteRequest(api: string, suite: string, name: string): Promise<void>;
  RunSuite(api: string, suite: string, target: Target): Promise<SuiteResult>;
  RunContract(api: string, target: Target, opts: ContractOptions): Promise<ContractReport>;
}

// ---------------------------------------------------------------------------
// Gateway policies (app/policy.go).

export type PolicyFieldKind = 'string' | 'integer' | 'boolean' | 'duration' | 'enum' | 'list' | 'map' | 'json';

export interface PolicyField {
  name: string;
  kind: PolicyFieldKind;
  options?: string[];
  required?: boolean;
  description: string;
  /** A typical value, as JSON text. */
  example?: string;
}

export interface PolicySpec {
  name: string;
  phase: number;
  title: string;
  description: string;
  fields: PolicyField[];
}

export interface PolicyConfig {
  name: string;
  /** The policy's settings object; absent means all defaults. */
  settings?: Record<string, unknown>;
}

export interface OperationPolicies {
  id: string;
  method: string;
  path: string;
  summary: string;
  policies: PolicyConfig[];
}

export interface APIPolicies {
  api: string;
  revision: number;
  validate: boolean;
  policies: PolicyConfig[];
  operations: OperationPolicies[];
}

export interface PolicyIssue {
  operation: string;
  policy: string;
  field: string;
  message: string;
}

export interface PolicyResult {
  saved: boolean;
  issues: PolicyIssue[];
  policies: APIPolicies;
}

export interface Consumer {
  name: string;
  groups: string[];
  apiKeys: number;
  basicUsers: string[];
}

export interface NewKey {
  consumer: string;
  key: string;
}

export interface PoliciesAPI {
  Catalog(): Promise<PolicySpec[]>;
  Get(api: string): Promise<APIPolicies>;
  Set(api: string, operation: string, policies: PolicyConfig[]): Promise<PolicyResult>;
  SetValidation(api: string, on: boolean): Promise<PolicyResult>;
  Consumers(): Promise<Consumer[]>;
  AddAPIKey(consumer: string, key: string): Promise<NewKey>;
  DeleteConsumer(name: string): Promise<void>;
}

// Hosted management server: login, catalogs, publishing (app/hosted.go).

export interface HostedStatus {
  server: string;
  user: string;
  admin: boolean;
  loggedIn: boolean;
  /** Where the token is kept: the OS keyring, a file readable by the user only, or nowhere. */
  storage: 'keyring' | 'file' | '';
  /** Why a saved login does not work; "" if none. */
  error: string;
}

export interface HostedCatalog {
  name: string;
  baseUrl: string;
  sequence: number;
}

/** One difference between a catalog's current spec and the local one. */
export interface PublishChange {
  breaking: boolean;
  level: string;
  id: string;
  operation: string;
  path: string;
  /** JSON pointer of the operation, e.g. #/paths/~1pets/get; "" for document-level changes. */
  pointer: string;
  /** file:line:column; "" if unknown. */
  location: string;
  text: string;
}

export interface PublishCheck {
  api: string;
  catalog: string;
  currentRevision: number;
  currentPublishedBy: string;
  baseRevision: number;
  /** The catalog moved past the local copy's base: pull before publishing. */
  stale: boolean;
  /** The catalog has this content already. */
  unchanged: boolean;
  changes: PublishChange[];
  breaking: number;
}

export interface PublishResult {
  api: string;
  catalog: string;
  revision: number;
  created: boolean;
  changes: PublishChange[];
  breaking: number;
}

/** An API's state in one catalog. */
export interface CatalogStatus {
  catalog: string;
  revision: number;
  state: string;
  baseRevision: number;
  stale: boolean;
  changed: boolean;
}

export interface CatalogRevision {
  number: number;
  hash: string;
  publishedBy: string;
  publishedAt: string;
  reason: string;
  breaking: number;
  promotedFrom: string;
  promotedRevision: number;
}

export interface CatalogAPIView {
  name: string;
  revision: number;
  state: string;
  publishedBy: string;
  updatedAt: string;
  revisions: CatalogRevision[];
}

export interface CatalogNode {
  id: string;
  version: string;
  sequence: number;
  revisions: { api: string; revision: number }[];
  addr: string;
  error: string;
  lastSeen: string;
  behind: boolean;
}

export interface CatalogView {
  catalog: HostedCatalog;
  apis: CatalogAPIView[];
  nodes: CatalogNode[];
}

export interface HostedAPI {
  Login(server: string, token: string): Promise<HostedStatus>;
  Logout(): Promise<HostedStatus>;
  Status(): Promise<HostedStatus>;
  Catalogs(): Promise<HostedCatalog[]>;
  CheckPublish(api: string, catalog: string): Promise<PublishCheck>;
  /** Rejects with a message starting "stale-revision:" (409) or "breaking-changes:" (422) when refused. */
  Publish(api: string, catalog: string, allowBreaking: boolean, reason: string): Promise<PublishResult>;
  APIStatus(api: string): Promise<CatalogStatus[]>;
  CatalogView(catalog: string): Promise<CatalogView>;
  /** Brings the catalog's APIs (all when apis is empty) into the workspace; local work is kept. */
  Pull(catalog: string, apis: string[]): Promise<PullResult[]>;
}

/** What pulling one API did (sync/pull.Result). */
export interface PullResult {
  api: string;
  catalog: string;
  revision: number;
  state: string;
  outcome: 'added' | 'updated' | 'up-to-date' | 'kept-local' | 'failed';
  reason?: string;
  operations: number;
  error?: string;
}

/** Live events from Go and their payloads. */
export interface EventMap {
  'import:progress': ImportProgress;
  'apis:changed': undefined;
  'document:changed': DocumentChanged;
  'gateway:status': GatewayStatus;
  'traffic:exchanges': ExchangeRow[];
  'policies:changed': { api: string; revision: number };
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
  console: ConsoleAPI;
  policies: PoliciesAPI;
  hosted: HostedAPI;
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

function normalizeRequest(r: ConsoleRequest): ConsoleRequest {
  return {
    ...r,
    description: r.description ?? '',
    operationId: r.operationId ?? '',
    headers: arr(r.headers),
    query: arr(r.query),
    body: r.body ?? '',
    capture: r.capture ?? {},
    assert: arr(r.assert),
    file: r.file ?? '',
  };
}

export function normalizeForm(f: OperationForm): OperationForm {
  return {
    ...f,
    parameters: arr(f.parameters).map((p) => ({ ...p, values: arr(p.values) })),
    credentials: arr(f.credentials).map((p) => ({ ...p, values: arr(p.values) })),
    body: f.body ? { ...f.body, mediaTypes: arr(f.body.mediaTypes) } : null,
    baseURL: f.baseURL ?? '',
  };
}

export function normalizeSend(r: SendResult): SendResult {
  return {
    ...r,
    requestHeaders: arr(r.requestHeaders),
    headers: arr(r.headers),
    operation: r.operation ?? null,
    violations: arr(r.violations),
    validationError: r.validationError ?? '',
    assertions: arr(r.assertions),
  };
}

export function normalizeSuites(l: SuiteList): SuiteList {
  return { ...l, suites: arr(l.suites).map((s) => ({ ...s, requests: arr(s.requests).map(normalizeRequest), problems: arr(s.problems) })) };
}

export function normalizeSuiteResult(r: SuiteResult): SuiteResult {
  return { ...r, requests: arr(r.requests).map((q) => ({ ...q, assertions: arr(q.assertions) })) };
}

export function normalizeReport(r: ContractReport): ContractReport {
  return { ...r, operations: arr(r.operations).map((o) => ({ ...o, checks: arr(o.checks).map((c) => ({ ...c, violations: arr(c.violations) })) })) };
}

export function normalizePolicies(p: APIPolicies): APIPolicies {
  return { ...p, policies: arr(p.policies), operations: arr(p.operations).map((o) => ({ ...o, policies: arr(o.policies) })) };
}

function normalizePolicyResult(r: PolicyResult): PolicyResult {
  return { ...r, issues: arr(r.issues), policies: normalizePolicies(r.policies) };
}

export function normalizeHostedStatus(s: HostedStatus): HostedStatus {
  return { ...s, server: s.server ?? '', user: s.user ?? '', storage: s.storage ?? '', error: s.error ?? '' };
}

export function normalizeCatalogView(v: CatalogView): CatalogView {
  return {
    catalog: v.catalog,
    apis: arr(v.apis).map((a) => ({ ...a, revisions: arr(a.revisions) })),
    nodes: arr(v.nodes).map((n) => ({ ...n, revisions: arr(n.revisions) })),
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
    ConsoleService: ConsoleAPI;
    PolicyService: PoliciesAPI;
    HostedService: HostedAPI;
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
  const cs = go.app.ConsoleService;
  const ps = go.app.PolicyService;
  const hs = go.app.HostedService;

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
    Operation: async (text, path, method) => normalizeOperation(await call(() => ws.Operation(text, path, method))),
    WriteOperation: async (text, from, op) => (await call(() => ws.WriteOperation(text, from, op))) ?? '',
    DeleteOperation: async (text, path, method) => (await call(() => ws.DeleteOperation(text, path, method))) ?? '',
    LintRuleset: async () => (await call(() => ws.LintRuleset())) ?? '',
    SaveLintRuleset: (text) => call(() => ws.SaveLintRuleset(text)),
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

  const consoleApi: ConsoleAPI = {
    Operation: async (api, op) => normalizeForm(await call(() => cs.Operation(api, op))),
    Environments: async () => arr(await call(() => cs.Environments())).map((e) => ({ ...e, variables: e.variables ?? {} })),
    SaveEnvironment: async (env) => {
      const e = await call(() => cs.SaveEnvironment(env));
      return { ...e, variables: e.variables ?? {} };
    },
    DeleteEnvironment: (name) => call(() => cs.DeleteEnvironment(name)),
    Send: async (api, req, target) => normalizeSend(await call(() => cs.Send(api, req, target))),
    Suites: async (api) => normalizeSuites(await call(() => cs.Suites(api))),
    SaveRequest: async (api, suite, req) => normalizeRequest(await call(() => cs.SaveRequest(api, suite, req))),
    DeleteRequest: (api, suite, name) => call(() => cs.DeleteRequest(api, suite, name)),
    RunSuite: async (api, suite, target) => normalizeSuiteResult(await call(() => cs.RunSuite(api, suite, target))),
    RunContract: async (api, target, opts) => normalizeReport(await call(() => cs.RunContract(api, target, opts))),
  };

  const policies: PoliciesAPI = {
    Catalog: async () => arr(await call(() => ps.Catalog())).map((s) => ({ ...s, fields: arr(s.fields) })),
    Get: async (api) => normalizePolicies(await call(() => ps.Get(api))),
    Set: async (api, op, list) => normalizePolicyResult(await call(() => ps.Set(api, op, list))),
    SetValidation: async (api, on) => normalizePolicyResult(await call(() => ps.SetValidation(api, on))),
    Consumers: async () => arr(await call(() => ps.Consumers())).map((c) => ({ ...c, groups: arr(c.groups), basicUsers: arr(c.basicUsers) })),
    AddAPIKey: (consumer, key) => call(() => ps.AddAPIKey(consumer, key)),
    DeleteConsumer: (name) => call(() => ps.DeleteConsumer(name)),
  };

  const hosted: HostedAPI = {
    Login: async (server, token) => normalizeHostedStatus(await call(() => hs.Login(server, token))),
    Logout: async () => normalizeHostedStatus(await call(() => hs.Logout())),
    Status: async () => normalizeHostedStatus(await call(() => hs.Status())),
    Catalogs: async () => arr(await call(() => hs.Catalogs())),
    CheckPublish: async (api, catalog) => {
      const r = await call(() => hs.CheckPublish(api, catalog));
      return { ...r, changes: arr(r.changes) };
    },
    Publish: async (api, catalog, allow, reason) => {
      const r = await call(() => hs.Publish(api, catalog, allow, reason));
      return { ...r, changes: arr(r.changes) };
    },
    APIStatus: async (api) => arr(await call(() => hs.APIStatus(api))),
    CatalogView: async (catalog) => normalizeCatalogView(await call(() => hs.CatalogView(catalog))),
    Pull: async (catalog, apis) => arr(await call(() => hs.Pull(catalog, apis))),
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

  return { kind: 'wails', workspace, gateway, traffic, console: consoleApi, policies, hosted, events, platform };
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
