// An in-memory Backend with sample data: used by the tests, and by the UI in a
// plain browser (npm run dev / vite preview) where there is no Go side.

import type {
  APISummary,
  Backend,
  EventMap,
  EventName,
  ExchangeDetail,
  ExchangeRow,
  FakeOptions,
  GatewayStatus,
  ImportResult,
  SpecDocument,
  Template,
  TrafficFilter,
  Unsubscribe,
} from './api';
import { analyze } from './fake/check';
import { connectBridge, type Bridge } from './fake/bridge';
import { createFakeConsole } from './fake/console';
import { createFakeHosted, type FakeHostedControls } from './fake/hosted';
import { renderSpecDocs } from './fake/markdown';
import { deleteOperation, readOperation, writeOperation } from './fake/operation';
import { mockAnswer, rowOf, sampleExchange, exchangeFrom } from './fake/mock';
import { BILLING_JSON, BLANK_TEMPLATE, PETSTORE_TEMPLATE } from './fake/samples';
import { diag } from './fake/tree';
import { toCurl } from './traffic/curl';
import { matchesFilter } from './traffic/filter';
import { toHar } from './traffic/har';

interface StoredAPI {
  name: string;
  revisions: string[];
  linkedPath: string;
  updatedAt: string;
  /** A file name when the spec came from a file, else "". */
  root: string;
}

/** Hooks that let tests (and the dev UI) play the Go side's part. */
export interface FakeControls {
  /** Pretends the linked file of api changed on disk. */
  changeOnDisk(api: string, text: string, error?: string): void;
  /** Records exchanges as if the gateway had served them. */
  addExchanges(xs: ExchangeDetail[]): void;
  /** Makes the next call of Service.Method reject with message. */
  failNext(method: string, message: string): void;
  /** Sets the gateway's "last rejected reload". */
  setGatewayError(message: string): void;
  emit<E extends EventName>(name: E, payload: EventMap[E]): void;
  /** Every exchange, oldest first. */
  exchanges(): readonly ExchangeDetail[];
}

export type FakeBackend = Backend & { fake: FakeControls & FakeHostedControls };

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const LISTEN_RE = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/;

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/\.(ya?ml|json)$/, '')
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[-._]+|[-._]+$/g, '')
      .slice(0, 63) || 'api'
  );
}

function basename(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}

export function createFakeBackend(opts: FakeOptions = {}): FakeBackend {
  const latency = opts.latencyMs ?? 0;
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const apis = new Map<string, StoredAPI>();
  const exchanges: ExchangeDetail[] = [];
  const byId = new Map<string, ExchangeDetail>();
  const failures = new Map<string, string>();
  let exchangeSeq = 0;
  let bridge: Bridge | null = null;
  let liveTimer: ReturnType<typeof setInterval> | null = null;
  let lintRuleset = '';
  let gateway: GatewayStatus = { running: false, listen: '', baseURL: '', apis: [], revision: 0, error: '' };

  const emit = <E extends EventName>(name: E, payload: EventMap[E]) => {
    for (const cb of listeners.get(name) ?? []) cb(payload);
  };

  /** Waits the configured latency, then fails if a test asked this method to. */
  const enter = async (method: string) => {
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    else await Promise.resolve();
    const f = failures.get(method);
    if (f !== undefined) {
      failures.delete(method);
      throw new Error(f);
    }
  };

  const mustGet = (name: string): StoredAPI => {
    const a = apis.get(name);
    if (!a) throw new Error(`no API named "${name}" in this workspace`);
    return a;
  };

  const rootOf = (a: StoredAPI) => (a.linkedPath ? basename(a.linkedPath) : a.root || `${a.name}.yaml`);
  const latest = (a: StoredAPI) => a.revisions[a.revisions.length - 1] ?? '';

  const summary = (a: StoredAPI): APISummary => {
    const r = analyze(latest(a), rootOf(a));
    return {
      name: a.name,
      title: r.info.title,
      version: r.info.version,
      operations: r.outline.length,
      revisions: a.revisions.length,
      latestRevision: a.revisions.length,
      linkedPath: a.linkedPath,
      updatedAt: a.updatedAt,
    };
  };

  const put = (name: string, text: string, root = '') => {
    const a: StoredAPI = { name, revisions: [text], linkedPath: '', updatedAt: new Date().toISOString(), root };
    apis.set(name, a);
    return a;
  };

  const gatewayAPIs = (names: readonly string[]) =>
    [...apis.values()]
      .filter((a) => names.length === 0 || names.includes(a.name))
      .map((a) => ({ name: a.name, baseURL: `${gateway.baseURL}/${a.name}`, operations: summary(a).operations }));

  const reloadGateway = () => {
    if (!gateway.running) return;
    gateway = { ...gateway, revision: gateway.revision + 1, apis: gatewayAPIs(gateway.apis.map((a) => a.name)) };
    emit('gateway:status', { ...gateway });
  };

  const record = (xs: ExchangeDetail[]) => {
    if (xs.length === 0) return;
    for (const x of xs) {
      exchanges.push(x);
      byId.set(x.id, x);
    }
    emit('traffic:exchanges', xs.map(rowOf));
  };

  const nextId = () => `x${String(++exchangeSeq).padStart(8, '0')}`;

  // Sample workspace and history.
  if (!opts.empty) {
    put('petstore', PETSTORE_TEMPLATE);
    put('billing', BILLING_JSON, 'billing.json');
    const petstore = apis.get('petstore');
    if (petstore) petstore.linkedPath = '~/specs/petstore.yaml';
  }
  if (!opts.empty) {
    const now = Date.now();
    const n = 60 + Math.max(0, opts.seedTraffic ?? 0);
    const seeded: ExchangeDetail[] = [];
    for (let i = 0; i < n; i++) {
      const x = sampleExchange(i + 1, new Date(now - (n - i) * 1500), 'http://127.0.0.1:4010', ['petstore', 'petstore', 'billing']);
      seeded.push({ ...x, id: nextId() });
    }
    for (const x of seeded) {
      exchanges.push(x);
      byId.set(x.id, x);
    }
  }

  const list = (f: TrafficFilter, all = false): ExchangeRow[] => {
    const out: ExchangeRow[] = [];
    let i = exchanges.length - 1;
    if (f.beforeId) {
      while (i >= 0 && (exchanges[i] as ExchangeDetail).id !== f.beforeId) i--;
      i--;
    }
    const limit = all || f.limit <= 0 ? Infinity : f.limit;
    for (; i >= 0 && out.length < limit; i--) {
      const row = rowOf(exchanges[i] as ExchangeDetail);
      if (matchesFilter(row, f)) out.push(row);
    }
    return out;
  };

  const progress = async (stages: string[]) => {
    for (let i = 0; i < stages.length; i++) {
      emit('import:progress', { stage: stages[i] as string, done: i, total: stages.length });
      await new Promise((r) => setTimeout(r, latency > 0 ? 120 : 0));
    }
    emit('import:progress', { stage: 'done', done: stages.length, total: stages.length });
  };

  const importText = async (fileName: string, text: string): Promise<ImportResult> => {
    await progress(['reading file', 'resolving references', 'validating', 'storing revision']);
    let name = slug(basename(fileName));
    for (let k = 2; apis.has(name); k++) name = `${slug(basename(fileName))}-${k}`;
    const a = put(name, text, basename(fileName));
    emit('apis:changed', undefined);
    reloadGateway();
    const warnings = analyze(text, basename(fileName)).diagnostics.filter((d) => d.severity !== 'error');
    return { api: summary(a), warnings: warnings.length ? warnings : [diag('warning', 'lint', 'info-contact', 'info should have a contact object', 2, 1, { file: basename(fileName) })] };
  };

  const startLive = () => {
    const rate = opts.liveRate ?? 0;
    if (rate <= 0 || liveTimer) return;
    const tick = 100;
    let carry = 0;
    liveTimer = setInterval(() => {
      carry += (rate * tick) / 1000;
      const n = Math.floor(carry);
      carry -= n;
      const names = gateway.apis.map((a) => a.name);
      const batch: ExchangeDetail[] = [];
      for (let i = 0; i < n; i++) {
        const id = nextId();
        batch.push({ ...sampleExchange(exchangeSeq, new Date(), gateway.baseURL, names.length ? names : ['petstore']), id });
      }
      record(batch);
    }, tick);
  };

  /** Streams opts.burst exchanges in batches of 1,000, one batch per 10 ms. */
  const startBurst = () => {
    let left = opts.burst ?? 0;
    const names = gateway.apis.map((a) => a.name);
    const step = () => {
      if (left <= 0 || !gateway.running) return;
      const n = Math.min(1000, left);
      left -= n;
      const batch: ExchangeDetail[] = [];
      const now = new Date();
      for (let i = 0; i < n; i++) {
        const id = nextId();
        batch.push({ ...sampleExchange(exchangeSeq, now, gateway.baseURL, names.length ? names : ['petstore']), id });
      }
      record(batch);
      setTimeout(step, 10);
    };
    setTimeout(step, 0);
  };

  const stopLive = () => {
    if (liveTimer) clearInterval(liveTimer);
    liveTimer = null;
  };

  const fakeConsole = createFakeConsole({
    enter,
    specText: (api) => latest(mustGet(api)),
    linkedPath: (api) => mustGet(api).linkedPath,
    gateway: () => gateway,
    record: (x) => record([x]),
    nextId,
    emit,
  });

  const fakeHosted = createFakeHosted({
    enter,
    specText: (api) => latest(mustGet(api)),
    storeSpec: (api, text) => {
      const a = apis.get(api);
      if (a) {
        a.revisions.push(text);
        a.updatedAt = new Date().toISOString();
      } else put(api, text);
      emit('apis:changed', undefined);
      reloadGateway();
    },
    operationsOf: (text) => analyze(text, 'openapi.yaml').outline.length,
  });

  const backend: FakeBackend = {
    kind: 'fake',
    console: fakeConsole.console,
    policies: fakeConsole.policies,
    hosted: fakeHosted.hosted,
    workspace: {
      async Info() {
        await enter('Info');
        return { dbPath: 'in-memory sample workspace' };
      },
      async ListAPIs() {
        await enter('ListAPIs');
        return [...apis.values()].sort((a, b) => a.name.localeCompare(b.name)).map(summary);
      },
      async ChooseAndImport() {
        await enter('ChooseAndImport');
        return importText('museum.yaml', BLANK_TEMPLATE.replace('title: New API', 'title: Museum API'));
      },
      async Import(path) {
        await enter('Import');
        if (!/\.(ya?ml|json)$/i.test(path)) throw new Error(`${basename(path)} is not an OpenAPI file: expected .yaml, .yml or .json`);
        return importText(path, PETSTORE_TEMPLATE.replace('title: Swagger Petstore', `title: ${basename(path)}`));
      },
      async Create(name, template: Template) {
        await enter('Create');
        if (!NAME_RE.test(name)) throw new Error(`"${name}" is not a valid API name: use lowercase letters, digits, ".", "_" or "-" (at most 63)`);
        if (apis.has(name)) throw new Error(`an API named "${name}" already exists`);
        const text = (template === 'petstore' ? PETSTORE_TEMPLATE.replace('title: Swagger Petstore', `title: ${name}`) : BLANK_TEMPLATE.replace('title: New API', `title: ${name}`));
        const a = put(name, text);
        emit('apis:changed', undefined);
        reloadGateway();
        return summary(a);
      },
      async Remove(name) {
        await enter('Remove');
        mustGet(name);
        apis.delete(name);
        emit('apis:changed', undefined);
        reloadGateway();
      },
      async Document(name): Promise<SpecDocument> {
        await enter('Document');
        const a = mustGet(name);
        const root = rootOf(a);
        return { api: name, root, text: latest(a), linkedPath: a.linkedPath, revision: a.revisions.length, files: [root] };
      },
      async Check(name, text) {
        await enter('Check');
        const r = analyze(text, rootOf(mustGet(name)));
        return { diagnostics: r.diagnostics, outline: r.outline };
      },
      async Save(name, text) {
        await enter('Save');
        const a = mustGet(name);
        const r = analyze(text, rootOf(a));
        if (!r.usable) {
          const first = r.diagnostics.find((d) => d.severity === 'error' && d.source === 'parser') ?? r.diagnostics[0];
          const where = first ? `${first.file}:${first.line}:${first.column}: ${first.message}` : 'the spec does not parse';
          throw new Error(`not saved: ${where}. Fix the spec and save again; the last good revision (${a.revisions.length}) stays in use.`);
        }
        if (text === latest(a)) return { revision: a.revisions.length, added: false, diagnostics: r.diagnostics };
        a.revisions.push(text);
        a.updatedAt = new Date().toISOString();
        emit('apis:changed', undefined);
        reloadGateway();
        return { revision: a.revisions.length, added: true, diagnostics: r.diagnostics };
      },
      async Link(name, path) {
        await enter('Link');
        mustGet(name).linkedPath = path;
        emit('apis:changed', undefined);
      },
      async ChooseLink(name) {
        await enter('ChooseLink');
        const path = `~/specs/${name}.yaml`;
        mustGet(name).linkedPath = path;
        emit('apis:changed', undefined);
        return path;
      },
      async Unlink(name) {
        await enter('Unlink');
        mustGet(name).linkedPath = '';
        emit('apis:changed', undefined);
      },
      async RenderDocs(name, text) {
        await enter('RenderDocs');
        mustGet(name);
        const r = analyze(text, name);
        return renderSpecDocs(r.info, r.root);
      },
      async Operation(text, path, method) {
        await enter('Operation');
        return readOperation(text, path, method);
      },
      async WriteOperation(text, from, op) {
        await enter('WriteOperation');
        return writeOperation(text, from, op);
      },
      async DeleteOperation(text, path, method) {
        await enter('DeleteOperation');
        return deleteOperation(text, path, method);
      },
      async LintRuleset() {
        await enter('LintRuleset');
        return lintRuleset;
      },
      async SaveLintRuleset(text) {
        await enter('SaveLintRuleset');
        lintRuleset = text.trim() === '' ? '' : text;
      },
    },
    gateway: {
      async Status() {
        await enter('Status');
        return { ...gateway, apis: [...gateway.apis] };
      },
      async Start(listen, names) {
        await enter('Start');
        const m = LISTEN_RE.exec(listen.trim());
        const port = m ? Number(m[2]) : -1;
        if (!m || port < 1 || port > 65535) throw new Error(`listen address "${listen}" is not host:port (for example 127.0.0.1:4010)`);
        for (const n of names) mustGet(n);
        if (opts.bridge && !bridge) {
          bridge = await connectBridge((x) => {
            if (gateway.running) record([{ ...x, id: nextId() } as ExchangeDetail]);
          });
        }
        const base = bridge ? bridge.baseURL : `http://${listen.trim()}`;
        gateway = { running: true, listen: listen.trim(), baseURL: base, apis: [], revision: gateway.revision + 1, error: '' };
        gateway.apis = gatewayAPIs(names);
        startLive();
        startBurst();
        emit('gateway:status', { ...gateway });
        return { ...gateway };
      },
      async Stop() {
        await enter('Stop');
        stopLive();
        bridge?.close();
        bridge = null;
        gateway = { ...gateway, running: false, baseURL: '', apis: [], error: '' }; // a deliberate stop clears the error
        emit('gateway:status', { ...gateway });
        return { ...gateway };
      },
    },
    traffic: {
      async List(filter) {
        await enter('List');
        return list(filter);
      },
      async Get(id) {
        await enter('Get');
        const x = byId.get(id);
        if (!x) throw new Error(`no exchange "${id}": it was cleared or is older than the capture keeps`);
        return structuredClone(x);
      },
      async Curl(id) {
        await enter('Curl');
        const x = byId.get(id);
        if (!x) throw new Error(`no exchange "${id}"`);
        return toCurl(x);
      },
      async Replay(id) {
        await enter('Replay');
        const x = byId.get(id);
        if (!x) throw new Error(`no exchange "${id}"`);
        if (!gateway.running) throw new Error('the gateway is not running: start it, then replay');
        const base = gateway.apis.find((a) => a.name === x.api)?.baseURL ?? `${gateway.baseURL}/${x.api}`;
        const query = x.url.includes('?') ? `?${x.url.split('?')[1] ?? ''}` : '';
        const req = { api: x.api, method: x.method, path: `${x.path}${query}`, headers: x.request.headers, body: x.request.body };
        const started = performance.now();
        const ans = mockAnswer(req);
        const nx = { ...exchangeFrom(nextId(), new Date(), base, req, ans, Math.max(0.2, performance.now() - started)), consumer: x.consumer };
        record([nx]);
        return rowOf(nx);
      },
      async ExportHAR(filter) {
        await enter('ExportHAR');
        const rows = list(filter, true);
        const har = toHar(rows.map((r) => byId.get(r.id) as ExchangeDetail));
        const name = 'gantry-traffic.har';
        if (opts.download && typeof document !== 'undefined') {
          const url = URL.createObjectURL(new Blob([JSON.stringify(har, null, 2)], { type: 'application/json' }));
          const a = document.createElement('a');
          a.href = url;
          a.download = name;
          document.body.appendChild(a);
          a.click();
          a.remove();
          setTimeout(() => URL.revokeObjectURL(url), 10_000);
        }
        return `Downloads/${name}`;
      },
      async Clear() {
        await enter('Clear');
        exchanges.length = 0;
        byId.clear();
      },
    },
    events: {
      on(name, cb): Unsubscribe {
        let set = listeners.get(name);
        if (!set) listeners.set(name, (set = new Set()));
        const f = cb as (p: unknown) => void;
        set.add(f);
        return () => set.delete(f);
      },
    },
    platform: {
      onFileDrop: () => null,
      async copyText(text) {
        if (typeof navigator !== 'undefined' && navigator.clipboard) await navigator.clipboard.writeText(text);
        else throw new Error('the clipboard is not available here');
      },
      openURL(url) {
        if (typeof window !== 'undefined') window.open(url, '_blank', 'noopener,noreferrer');
      },
    },
    fake: {
      changeOnDisk(api, text, error) {
        emit('document:changed', error ? { api, text, error } : { api, text });
      },
      addExchanges(xs) {
        record(xs.map((x) => ({ ...x, id: x.id || nextId() })));
      },
      failNext(method, message) {
        failures.set(method, message);
      },
      setGatewayError(message) {
        gateway = { ...gateway, error: message };
        emit('gateway:status', { ...gateway });
      },
      emit,
      exchanges: () => exchanges,
      ...fakeHosted.controls,
    },
  };
  return backend;
}
