// The fake backend's request console and policies: forms from the spec text (tree.ts),
// answers from the fake mock (mock.ts) behind a few of the gateway's policies, saved
// requests and environments in memory. Just enough to make the UI feel real in tests.

import type {
  APIPolicies,
  Assertion,
  AssertionResult,
  ConsoleAPI,
  ConsoleRequest,
  Consumer,
  ContractOperation,
  Environment,
  EventMap,
  ExchangeDetail,
  FormParameter,
  GatewayStatus,
  JSONSchema,
  OperationForm,
  PoliciesAPI,
  PolicyConfig,
  PolicyIssue,
  PolicySpec,
  SendResult,
  SuiteInfo,
  Target,
} from '../api';
import { HTTP_METHODS } from './check';
import { exchangeFrom, mockAnswer, type MockAnswer, type MockRequest } from './mock';
import { child, parseSpecText, type Node } from './tree';

export interface ConsoleDeps {
  enter(method: string): Promise<void>;
  /** The newest spec text of api; throws when there is no such API. */
  specText(api: string): string;
  linkedPath(api: string): string;
  gateway(): GatewayStatus;
  record(x: ExchangeDetail): void;
  nextId(): string;
  emit<E extends keyof EventMap>(name: E, payload: EventMap[E]): void;
}

// ---------------------------------------------------------------------------
// The spec as plain values.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function scalar(v: string): Json {
  const t = v.trim();
  if (t === 'true' || t === 'false') return t === 'true';
  if (t === 'null' || t === '~') return null;
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (/^\[.*\]$/.test(t)) return t.slice(1, -1).split(',').map((x) => scalar(x.trim().replace(/^["']|["']$/g, ''))).filter((x) => x !== '');
  return t.replace(/^["']|["']$/g, '');
}

/** A tree node as JSON: lists, objects, scalars. */
export function toJSON(n: Node): Json {
  if (n.children.length === 0) return scalar(n.value);
  if (n.children.every((c) => c.list)) return n.children.map(toJSON);
  const out: Record<string, Json> = {};
  for (const c of n.children) if (!c.list) out[c.key] = toJSON(c);
  return out;
}

type Obj = Record<string, Json>;
const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function resolve(root: Obj, s: Json | undefined, depth = 0): Obj | null {
  if (!isObj(s)) return null;
  const ref = s.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/') && depth < 16) {
    let cur: Json | undefined = root;
    for (const part of ref.slice(2).split('/')) cur = isObj(cur) ? cur[part] : undefined;
    return resolve(root, cur, depth + 1);
  }
  if (Array.isArray(s.allOf)) {
    const merged: Obj = { type: 'object', properties: {}, required: [] };
    for (const part of s.allOf) {
      const r = resolve(root, part, depth + 1);
      if (!r) continue;
      Object.assign(merged.properties as Obj, isObj(r.properties) ? r.properties : {});
      (merged.required as Json[]).push(...(Array.isArray(r.required) ? r.required : []));
    }
    return merged;
  }
  return s;
}

/** A value valid against a (simple) schema: examples and enums first. */
export function exampleOf(root: Obj, s: Json | undefined, depth = 0): Json {
  const r = resolve(root, s);
  if (!r || depth > 6) return 'string';
  if (r.example !== undefined) return r.example;
  if (r.default !== undefined) return r.default;
  if (Array.isArray(r.enum) && r.enum.length) return r.enum[0] as Json;
  const type = Array.isArray(r.type) ? r.type[0] : r.type;
  switch (type) {
    case 'integer':
      return typeof r.minimum === 'number' ? r.minimum : 1;
    case 'number':
      return typeof r.minimum === 'number' ? r.minimum : 1.5;
    case 'boolean':
      return true;
    case 'array':
      return [exampleOf(root, r.items, depth + 1)];
    case 'object':
    case undefined: {
      if (!isObj(r.properties)) return type === 'object' ? {} : 'string';
      const out: Obj = {};
      for (const [k, v] of Object.entries(r.properties)) out[k] = exampleOf(root, v, depth + 1);
      return out;
    }
    default:
      return r.format === 'uuid' ? '3fa85f64-5717-4562-b3fc-2c963f66afa6' : r.format === 'date-time' ? '2026-01-01T00:00:00Z' : 'string';
  }
}

interface FakeOp {
  id: string;
  method: string;
  path: string;
  summary: string;
  node: Obj;
}

function operations(text: string): { root: Obj; ops: FakeOp[] } {
  const tree = parseSpecText(text).root;
  const root = toJSON(tree);
  const ops: FakeOp[] = [];
  for (const p of child(tree, 'paths')?.children ?? []) {
    for (const m of p.children) {
      if (!HTTP_METHODS.includes(m.key)) continue;
      const node = toJSON(m);
      if (!isObj(node)) continue;
      const method = m.key.toUpperCase();
      const id = typeof node.operationId === 'string' && node.operationId ? node.operationId : `${method} ${p.key}`;
      ops.push({ id, method, path: p.key, summary: typeof node.summary === 'string' ? node.summary : '', node });
    }
  }
  return { root: isObj(root) ? root : {}, ops };
}

function findOp(text: string, id: string): { root: Obj; op: FakeOp } {
  const { root, ops } = operations(text);
  const op = ops.find((o) => o.id === id || `${o.method} ${o.path}`.toLowerCase() === id.toLowerCase());
  if (!op) throw new Error(`no operation "${id}"`);
  return { root, op };
}

const valueText = (v: Json): string => (typeof v === 'string' ? v : JSON.stringify(v));

// ---------------------------------------------------------------------------
// Policies.

const SPECS: PolicySpec[] = [
  { name: 'ipRestriction', phase: 100, title: 'IP allow/deny', description: 'Refuses clients by address (403); deny wins over allow.', fields: [
    { name: 'allow', kind: 'list', description: 'CIDR ranges or addresses allowed.' },
    { name: 'deny', kind: 'list', description: 'CIDR ranges or addresses refused.' },
  ] },
  { name: 'cors', phase: 200, title: 'CORS', description: 'Answers preflights and adds CORS headers for allowed origins.', fields: [
    { name: 'allowOrigins', kind: 'list', required: true, description: 'Origins allowed.', example: '["https://app.example.com"]' },
    { name: 'allowCredentials', kind: 'boolean', description: 'Allow cookies and credentials.' },
    { name: 'maxAge', kind: 'duration', description: 'How long browsers cache a preflight.', example: '"10m"' },
  ] },
  { name: 'requestSize', phase: 300, title: 'Request size limit', description: 'Refuses bodies over maxBytes (413).', fields: [
    { name: 'maxBytes', kind: 'integer', required: true, description: 'Largest body accepted, in bytes.', example: '1048576' },
  ] },
  { name: 'keyAuth', phase: 400, title: 'API key', description: 'Requires an API key a consumer owns (401 otherwise).', fields: [
    { name: 'in', kind: 'enum', options: ['header', 'query'], description: 'Where the key is sent; default "header".' },
    { name: 'name', kind: 'string', description: 'The header or query parameter carrying the key; default "apikey".', example: '"X-API-Key"' },
    { name: 'hideCredentials', kind: 'boolean', description: 'Remove the key before forwarding; default true.' },
  ] },
  { name: 'rateLimit', phase: 500, title: 'Rate limit', description: 'Limits requests per window (429).', fields: [
    { name: 'requests', kind: 'integer', required: true, description: 'Requests allowed per window.', example: '100' },
    { name: 'window', kind: 'duration', required: true, description: 'The window.', example: '"1m"' },
    { name: 'by', kind: 'enum', options: ['consumer', 'key', 'ip', 'route'], description: 'What is counted.' },
  ] },
  { name: 'requestHeaders', phase: 700, title: 'Request headers', description: 'Sets, adds, removes or renames request headers.', fields: [
    { name: 'set', kind: 'map', description: 'Headers to set.' },
    { name: 'remove', kind: 'list', description: 'Headers to remove.' },
  ] },
  { name: 'cache', phase: 800, title: 'Cache', description: 'Caches GET and HEAD answers.', fields: [
    { name: 'ttl', kind: 'duration', description: 'How long answers are kept.', example: '"30s"' },
    { name: 'maxEntries', kind: 'integer', description: 'Most answers kept.' },
  ] },
];

/** The same checks the gateway's factories make, for the fake's policies. */
export function checkPolicy(p: PolicyConfig, consumers: number): PolicyIssue[] {
  const spec = SPECS.find((s) => s.name === p.name);
  const issue = (field: string, message: string): PolicyIssue => ({ operation: '', policy: p.name, field, message });
  if (!spec) return [issue('', `unknown policy (known: ${SPECS.map((s) => s.name).join(', ')})`)];
  const out: PolicyIssue[] = [];
  const s = p.settings ?? {};
  for (const [k, v] of Object.entries(s)) {
    const f = spec.fields.find((x) => x.name === k);
    if (!f) out.push(issue(k, 'unknown setting'));
    else if (f.kind === 'integer' && !(typeof v === 'number' && Number.isInteger(v))) out.push(issue(k, `must be an integer, not ${JSON.stringify(v)}`));
    else if (f.kind === 'duration' && !(typeof v === 'string' && /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/.test(v))) out.push(issue(k, `${JSON.stringify(v)} is not a duration like "30s" or "1m"`));
    else if (f.kind === 'enum' && !f.options?.includes(String(v))) out.push(issue(k, `must be one of ${f.options?.join(', ')}`));
    else if (f.kind === 'boolean' && typeof v !== 'boolean') out.push(issue(k, 'must be true or false'));
    else if (f.kind === 'list' && !Array.isArray(v)) out.push(issue(k, 'must be a list'));
  }
  for (const f of spec.fields) if (f.required && s[f.name] === undefined) out.push(issue(f.name, 'is required'));
  if (p.name === 'keyAuth' && consumers === 0) out.push(issue('', 'no consumers are configured, so no API key could be accepted'));
  return out;
}

interface StoredPolicies {
  validate: boolean;
  policies: PolicyConfig[];
  ops: Map<string, PolicyConfig[]>;
}

interface FakeConsumer {
  name: string;
  keys: string[];
}

/** The problem document a refusing policy answers with. */
function refusal(status: number, title: string, detail: string): MockAnswer {
  return {
    status,
    headers: [['Content-Type', 'application/problem+json']],
    body: JSON.stringify({ type: 'about:blank', title, status, detail }),
    operation: null,
    violations: [],
  };
}

// ---------------------------------------------------------------------------
// Assertions (as core/suite judges them, roughly).

function pointer(body: unknown, ptr: string): { found: boolean; value?: unknown } {
  if (ptr === '') return { found: true, value: body };
  let cur: unknown = body;
  for (const raw of ptr.slice(1).split('/')) {
    const k = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur) && /^\d+$/.test(k)) cur = cur[Number(k)];
    else if (cur && typeof cur === 'object' && Object.hasOwn(cur, k)) cur = (cur as Record<string, unknown>)[k];
    else return { found: false };
    if (cur === undefined) return { found: false };
  }
  return { found: true, value: cur };
}

export function judge(asserts: Assertion[], ans: { status: number; headers: [string, string][]; body: string; durationMs: number; violations: number }): AssertionResult[] {
  const out: AssertionResult[] = [];
  if (!asserts.some((a) => a.status)) out.push({ assertion: 'status below 400 (implicit: the request has no status check)', passed: ans.status < 400, message: ans.status < 400 ? '' : `got ${ans.status}` });
  let json: unknown;
  let jsonOK = false;
  try {
    json = JSON.parse(ans.body);
    jsonOK = true;
  } catch {
    jsonOK = false;
  }
  asserts.forEach((a, i) => {
    const r: AssertionResult = { assertion: '', passed: false, field: `assert[${i}]` };
    const compare = (found: boolean, value: unknown, where: string) => {
      if (a.equals !== undefined) {
        r.passed = found && JSON.stringify(value) === JSON.stringify(a.equals);
        if (!r.passed) r.message = found ? `${where} is ${JSON.stringify(value)}, want ${JSON.stringify(a.equals)}` : `${where} is missing`;
      } else if (a.matches) {
        const t = typeof value === 'string' ? value : JSON.stringify(value);
        r.passed = found && new RegExp(a.matches).test(t);
        if (!r.passed) r.message = `${where} does not match ${a.matches}`;
      } else {
        r.passed = a.exists === false ? !found : found;
        if (!r.passed) r.message = `${where} is ${found ? 'present' : 'missing'}`;
      }
    };
    if (a.status) {
      r.assertion = `status ${a.status}`;
      const s = a.status.toLowerCase();
      r.passed = s.endsWith('xx') ? String(ans.status)[0] === s[0] : String(ans.status) === s;
      if (!r.passed) r.message = `got ${ans.status}, want ${a.status}`;
    } else if (a.header) {
      r.assertion = `header ${a.header}`;
      const h = ans.headers.find(([k]) => k.toLowerCase() === a.header?.toLowerCase());
      compare(Boolean(h), h?.[1], `header ${a.header}`);
    } else if (a.jsonPointer !== undefined) {
      r.assertion = `jsonPointer ${a.jsonPointer}`;
      if (!jsonOK) r.message = 'the body is not JSON';
      else {
        const p = pointer(json, a.jsonPointer);
        compare(p.found, p.value, a.jsonPointer || 'the body');
      }
    } else if (a.schemaValid) {
      r.assertion = 'schemaValid';
      r.passed = ans.violations === 0 && ans.status < 500;
      if (!r.passed) r.message = 'breaks the contract';
    } else if (a.maxDurationMs) {
      r.assertion = `maxDurationMs ${a.maxDurationMs}`;
      r.passed = ans.durationMs <= a.maxDurationMs;
    }
    out.push(r);
  });
  return out;
}

// ---------------------------------------------------------------------------

export function createFakeConsole(d: ConsoleDeps): { console: ConsoleAPI; policies: PoliciesAPI } {
  const envs = new Map<string, Environment>();
  const suites = new Map<string, Map<string, ConsoleRequest[]>>();
  const stored = new Map<string, StoredPolicies>();
  const consumers: FakeConsumer[] = [];
  let revision = 0;

  const policiesOf = (api: string): StoredPolicies => {
    let p = stored.get(api);
    if (!p) stored.set(api, (p = { validate: true, policies: [], ops: new Map() }));
    return p;
  };

  const apiPolicies = (api: string): APIPolicies => {
    const { ops } = operations(d.specText(api));
    const p = policiesOf(api);
    return {
      api,
      revision,
      validate: p.validate,
      policies: structuredClone(p.policies),
      operations: ops.map((o) => ({ id: o.id, method: o.method, path: o.path, summary: o.summary, policies: structuredClone(p.ops.get(o.id) ?? []) })),
    };
  };

  const dirOf = (api: string) => {
    const linked = d.linkedPath(api);
    return linked ? `${linked.replace(/[\\/][^\\/]*$/, '')}/requests` : `workspace/requests/${api}`;
  };

  const resolveTarget = (api: string, t: Target): { base: string; vars: Record<string, string> } => {
    let vars: Record<string, string> = {};
    if (t.environment) {
      const e = envs.get(t.environment);
      if (!e) throw new Error(`no environment called "${t.environment}"`);
      vars = { ...e.variables };
    }
    if (t.url.trim()) {
      const base = t.url.trim().replace(/\{\{\s*([^{}\s]+)\s*\}\}/g, (w, n: string) => vars[n] ?? w);
      if (base.includes('{{')) throw new Error(`target ${base}: a variable is not set by the environment`);
      return { base, vars };
    }
    const gw = d.gateway();
    if (!gw.running) throw new Error('the gateway is not running: start it, or send to a URL');
    const a = gw.apis.find((x) => x.name === api);
    if (!a) throw new Error(`the gateway does not serve ${api}: restart it with this API, or send to a URL`);
    return { base: a.baseURL, vars };
  };

  const expand = (s: string, vars: Record<string, string>, missing: Set<string>) =>
    s.replace(/\{\{\s*([^{}\s]+)\s*\}\}/g, (w, n: string) => {
      if (n === '$uuid') return crypto.randomUUID();
      if (n === '$timestamp') return String(Math.floor(Date.now() / 1000));
      if (Object.hasOwn(vars, n)) return vars[n] ?? '';
      missing.add(n);
      return w;
    });

  /** What the fake gateway answers: the API's policies, then the mock. */
  const gatewayAnswer = (api: string, req: MockRequest, opId: string, throughGateway: boolean): MockAnswer => {
    if (throughGateway) {
      const p = policiesOf(api);
      const effective = new Map(p.policies.map((x) => [x.name, x] as const));
      for (const x of p.ops.get(opId) ?? []) effective.set(x.name, x);
      const key = effective.get('keyAuth');
      if (key) {
        const s = key.settings ?? {};
        const name = String(s.name ?? 'apikey');
        const given = s.in === 'query' ? new URLSearchParams(req.path.split('?')[1] ?? '').get(name) : req.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
        if (!given || !consumers.some((c) => c.keys.includes(given))) return refusal(401, 'Unauthorized', `a valid API key is required in the ${String(s.in ?? 'header')} ${name}`);
      }
      const size = effective.get('requestSize');
      if (size && req.body.length > Number(size.settings?.maxBytes ?? Infinity)) return refusal(413, 'Content Too Large', `the body is over ${String(size.settings?.maxBytes)} bytes`);
    }
    return mockAnswer(req);
  };

  const send = (api: string, r: ConsoleRequest, t: Target): SendResult => {
    const { base, vars } = resolveTarget(api, t);
    vars.baseUrl = base.replace(/\/$/, '');
    const missing = new Set<string>();
    const url = expand(r.url, vars, missing);
    const headers: [string, string][] = r.headers.filter((h) => h.name.trim()).map((h) => [h.name, expand(h.value, vars, missing)]);
    const query = r.query.filter((q) => q.name.trim()).map((q) => `${encodeURIComponent(q.name)}=${encodeURIComponent(expand(q.value, vars, missing))}`);
    const body = expand(r.body, vars, missing);
    if (missing.size) throw new Error(`${[...missing].map((m) => `unknown variable {{${m}}}`).join('; ')}: the environment does not set it`);
    const full = /^https?:\/\//.test(url) ? url : `${vars.baseUrl}/${url.replace(/^\//, '')}`;
    const abs = new URL(full);
    const rel = abs.href.startsWith(base) ? abs.href.slice(base.replace(/\/$/, '').length) : abs.pathname;
    const path = `${rel.split('?')[0] || '/'}${[abs.search.slice(1), ...query].filter(Boolean).length ? `?${[abs.search.slice(1), ...query].filter(Boolean).join('&')}` : ''}`;
    const mreq: MockRequest = { api, method: r.method || 'GET', path, headers, body };
    const started = performance.now();
    const throughGateway = !t.url.trim();
    const ans = gatewayAnswer(api, mreq, r.operationId, throughGateway);
    const durationMs = Math.max(0.3, Math.round((performance.now() - started) * 100) / 100);
    if (throughGateway) d.record(exchangeFrom(d.nextId(), new Date(), base, mreq, ans, durationMs));
    let pretty = ans.body;
    try {
      pretty = JSON.stringify(JSON.parse(ans.body), null, 2);
    } catch {
      // Not JSON: shown as it came.
    }
    const assertions = judge(r.assert, { status: ans.status, headers: ans.headers, body: ans.body, durationMs, violations: ans.violations.length });
    return {
      method: mreq.method.toUpperCase(),
      url: `${base.replace(/\/$/, '')}${path}`,
      requestHeaders: headers,
      status: ans.status,
      statusText: { 200: 'OK', 201: 'Created', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 413: 'Request Entity Too Large' }[ans.status] ?? '',
      headers: ans.headers,
      contentType: ans.headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '',
      body: pretty,
      bodyEncoding: 'text',
      size: ans.body.length,
      truncated: false,
      durationMs,
      operation: ans.operation,
      violations: ans.violations,
      validationError: '',
      assertions,
      passed: assertions.every((a) => a.passed),
    };
  };

  const suitesOf = (api: string) => {
    let m = suites.get(api);
    if (!m) suites.set(api, (m = new Map()));
    return m;
  };

  const consoleApi: ConsoleAPI = {
    async Operation(api, id): Promise<OperationForm> {
      await d.enter('Operation');
      const { root, op } = findOp(d.specText(api), id);
      const params: FormParameter[] = [];
      for (const p of Array.isArray(op.node.parameters) ? op.node.parameters : []) {
        const prm = resolve(root, p);
        if (!prm || typeof prm.name !== 'string') continue;
        const schema = resolve(root, prm.schema) as JSONSchema;
        const ex = prm.example !== undefined ? prm.example : exampleOf(root, prm.schema);
        params.push({ name: prm.name, in: String(prm.in ?? 'query') as FormParameter['in'], required: prm.required === true || prm.in === 'path', schema, values: Array.isArray(ex) ? ex.map(valueText) : [valueText(ex)] });
      }
      let body: OperationForm['body'] = null;
      const rb = resolve(root, op.node.requestBody);
      if (rb && isObj(rb.content)) {
        const types = Object.keys(rb.content);
        const ct = types.find((t) => t.includes('json')) ?? types[0] ?? 'application/json';
        const mt = rb.content[ct];
        const schema = isObj(mt) ? resolve(root, mt.schema) : null;
        body = { contentType: ct, mediaTypes: types, required: rb.required === true, schema: schema as JSONSchema, example: JSON.stringify(exampleOf(root, isObj(mt) ? mt.schema : undefined), null, 2) };
      }
      const gw = d.gateway();
      return {
        api,
        operationId: op.id,
        method: op.method,
        path: op.path,
        summary: op.summary,
        parameters: params,
        credentials: [],
        body,
        baseURL: gw.running ? (gw.apis.find((a) => a.name === api)?.baseURL ?? '') : '',
      };
    },
    async Environments() {
      await d.enter('Environments');
      return [...envs.values()].sort((a, b) => a.name.localeCompare(b.name)).map((e) => structuredClone(e));
    },
    async SaveEnvironment(env) {
      await d.enter('SaveEnvironment');
      const name = env.name.trim();
      if (!name) throw new Error('an environment needs a name');
      for (const k of Object.keys(env.variables)) if (!/^[A-Za-z0-9_.-]+$/.test(k)) throw new Error(`environment ${name}: "${k}" is not a variable name: use letters, digits, '_', '-' and '.'`);
      const e: Environment = { name, variables: { ...env.variables }, updatedAt: new Date().toISOString() };
      envs.set(name, e);
      return structuredClone(e);
    },
    async DeleteEnvironment(name) {
      await d.enter('DeleteEnvironment');
      if (!envs.delete(name)) throw new Error(`removing environment ${name}: not found`);
    },
    async Send(api, r, t) {
      await d.enter('Send');
      d.specText(api);
      return send(api, r, t);
    },
    async Suites(api) {
      await d.enter('Suites');
      d.specText(api);
      const list: SuiteInfo[] = [...suitesOf(api).entries()]
        .filter(([, rs]) => rs.length > 0)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, rs]) => ({ name, requests: structuredClone(rs), problems: [] }));
      return { dir: dirOf(api), linked: Boolean(d.linkedPath(api)), suites: list };
    },
    async SaveRequest(api, suite, r) {
      await d.enter('SaveRequest');
      d.specText(api);
      const name = r.name.trim();
      if (!name) throw new Error('a saved request needs a name');
      if (!suite.trim() || /[/\\]|^\.\.?$/.test(suite)) throw new Error(`"${suite}" is not a suite name`);
      for (const a of r.assert) if (a.status !== undefined && !/^[1-5](\d\d|xx)$/i.test(a.status)) throw new Error(`request ${name} is not saved: assert: "${a.status}" is not a status code (201) or class (2xx)`);
      const list = suitesOf(api).get(suite) ?? [];
      const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'request';
      const file = r.file && r.file.startsWith(`${dirOf(api)}/${suite}/`) ? r.file : `${dirOf(api)}/${suite}/${slug}.yaml`;
      const saved: ConsoleRequest = { ...structuredClone(r), name, file };
      const i = list.findIndex((x) => x.file === file || x.name === name);
      if (i >= 0) list[i] = saved;
      else list.push(saved);
      list.sort((a, b) => a.file.localeCompare(b.file));
      suitesOf(api).set(suite, list);
      return structuredClone(saved);
    },
    async DeleteRequest(api, suite, name) {
      await d.enter('DeleteRequest');
      const list = suitesOf(api).get(suite) ?? [];
      const i = list.findIndex((x) => x.name === name);
      if (i < 0) throw new Error(`removing request ${name}: no request called "${name}"`);
      list.splice(i, 1);
    },
    async RunSuite(api, suite, t) {
      await d.enter('RunSuite');
      const list = suitesOf(api).get(suite);
      if (!list?.length) throw new Error(`no suite "${suite}"`);
      const started = new Date();
      const requests = list.map((r) => {
        try {
          const res = send(api, r, t);
          return { name: r.name, method: res.method, url: res.url, outcome: res.passed ? ('passed' as const) : ('failed' as const), status: res.status, body: res.body.slice(0, 2048), duration: res.durationMs * 1e6, assertions: res.assertions };
        } catch (e) {
          return { name: r.name, method: r.method, url: r.url, outcome: 'error' as const, duration: 0, assertions: [], error: e instanceof Error ? e.message : String(e) };
        }
      });
      const count = (o: string) => requests.filter((r) => r.outcome === o).length;
      return {
        suite,
        startedAt: started.toISOString(),
        duration: (Date.now() - started.getTime()) * 1e6,
        requests,
        summary: { requests: requests.length, passed: count('passed'), failed: count('failed'), errors: count('error'), skipped: 0 },
      };
    },
    async RunContract(api, t, opts) {
      await d.enter('RunContract');
      const { base } = resolveTarget(api, t);
      const { root, ops } = operations(d.specText(api));
      const started = new Date();
      const results: ContractOperation[] = ops
        .filter((o) => opts.operations.length === 0 || opts.operations.includes(o.id))
        .map((o) => {
          const path = o.path.replace(/\{([^}]+)\}/g, (_w, n: string) => {
            const p = (Array.isArray(o.node.parameters) ? o.node.parameters : []).map((x) => resolve(root, x)).find((x) => x?.name === n);
            return encodeURIComponent(valueText(exampleOf(root, p?.schema)));
          });
          const rb = resolve(root, o.node.requestBody);
          const mt = rb && isObj(rb.content) ? Object.values(rb.content)[0] : undefined;
          const body = mt && isObj(mt) ? JSON.stringify(exampleOf(root, mt.schema)) : '';
          const req: MockRequest = { api, method: o.method, path, headers: body ? [['Content-Type', 'application/json']] : [], body };
          const ans = gatewayAnswer(api, req, o.id, !t.url.trim());
          const passed = ans.status < 400 && ans.violations.length === 0;
          const violations = passed ? [] : [{ in: 'status', message: `status ${ans.status} is not a declared success status` }, ...ans.violations.map((v) => ({ in: v.in, name: v.pointer, message: v.message }))];
          return {
            id: o.id,
            method: o.method,
            path: o.path,
            outcome: passed ? ('passed' as const) : ('failed' as const),
            duration: 1e6,
            checks: [{ kind: 'valid' as const, what: 'valid request', request: { method: o.method, url: `${base}${path}` }, expected: 'a declared success status', status: ans.status, duration: 1e6, passed, violations }],
          };
        });
      const n = (x: string) => results.filter((r) => r.outcome === x).length;
      return {
        api,
        target: base,
        seed: opts.seed,
        startedAt: started.toISOString(),
        duration: 2e6,
        operations: results,
        summary: { operations: results.length, passed: n('passed'), failed: n('failed'), errors: 0, requests: results.length, failedRequests: n('failed') },
      };
    },
  };

  const stamp = (api: string) => {
    revision++;
    d.emit('policies:changed', { api, revision });
  };

  const policies: PoliciesAPI = {
    async Catalog() {
      await d.enter('Catalog');
      return structuredClone(SPECS);
    },
    async Get(api) {
      await d.enter('Get');
      return apiPolicies(api);
    },
    async Set(api, opId, list) {
      await d.enter('Set');
      const { ops } = operations(d.specText(api));
      const op = opId ? ops.find((o) => o.id === opId || `${o.method} ${o.path}`.toLowerCase() === opId.toLowerCase()) : undefined;
      if (opId && !op) throw new Error(`API "${api}": no operation "${opId}"`);
      const issues: PolicyIssue[] = [];
      const seen = new Set<string>();
      for (const p of list) {
        if (seen.has(p.name)) issues.push({ operation: op?.id ?? '', policy: p.name, field: '', message: 'is listed twice: keep one' });
        seen.add(p.name);
        for (const is of checkPolicy(p, consumers.length)) issues.push({ ...is, operation: op?.id ?? '' });
      }
      if (issues.length) return { saved: false, issues, policies: apiPolicies(api) };
      const clean = list.map((p) => (p.settings && Object.keys(p.settings).length ? { name: p.name, settings: structuredClone(p.settings) } : { name: p.name }));
      const sp = policiesOf(api);
      if (op) {
        if (clean.length) sp.ops.set(op.id, clean);
        else sp.ops.delete(op.id);
      } else sp.policies = clean;
      stamp(api);
      return { saved: true, issues: [], policies: apiPolicies(api) };
    },
    async SetValidation(api, on) {
      await d.enter('SetValidation');
      policiesOf(api).validate = on;
      stamp(api);
      return { saved: true, issues: [], policies: apiPolicies(api) };
    },
    async Consumers(): Promise<Consumer[]> {
      await d.enter('Consumers');
      return consumers.map((c) => ({ name: c.name, groups: [], apiKeys: c.keys.length, basicUsers: [] }));
    },
    async AddAPIKey(name, key) {
      await d.enter('AddAPIKey');
      const n = name.trim();
      if (!n) throw new Error('a consumer needs a name');
      const k = key.trim() || `gk_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
      if (consumers.some((c) => c.keys.includes(k))) throw new Error('a consumer already has this key');
      let c = consumers.find((x) => x.name === n);
      if (!c) consumers.push((c = { name: n, keys: [] }));
      c.keys.push(k);
      stamp('');
      return { consumer: n, key: k };
    },
    async DeleteConsumer(name) {
      await d.enter('DeleteConsumer');
      const i = consumers.findIndex((c) => c.name === name);
      if (i < 0) throw new Error(`no consumer called "${name}"`);
      if (consumers.length === 1 && [...stored.entries()].some(([, p]) => p.policies.some((x) => x.name === 'keyAuth') || [...p.ops.values()].some((l) => l.some((x) => x.name === 'keyAuth')))) {
        throw new Error('policy keyAuth: no consumers are configured, so no API key could be accepted (change its policies first)');
      }
      consumers.splice(i, 1);
      stamp('');
    },
  };

  return { console: consoleApi, policies };
}
