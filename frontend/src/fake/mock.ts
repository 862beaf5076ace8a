// Mock answers and sample exchanges for the fake backend. Plain functions
// with no DOM or Node dependency: the dev server's fake gateway uses them too.

import type { ExchangeDetail, ExchangeRow, Message, Violation } from '../api';

export interface MockRequest {
  api: string;
  method: string;
  /** Path below the API's base URL, with query string. */
  path: string;
  headers: [string, string][];
  body: string;
}

export interface MockAnswer {
  status: number;
  headers: [string, string][];
  body: string;
  operation: ExchangeDetail['operation'];
  violations: Violation[];
}

const INVOICES = [
  { id: 'inv_1001', amount: 12900, currency: 'EUR', status: 'paid' },
  { id: 'inv_1002', amount: 4500, currency: 'EUR', status: 'open' },
];

const PETS = [
  { id: 1, name: 'Rex', tag: 'dog' },
  { id: 2, name: 'Tom', tag: 'cat' },
  { id: 3, name: 'Nibbles', tag: 'hamster' },
];

function json(status: number, body: unknown, extra: [string, string][] = []): Pick<MockAnswer, 'status' | 'headers' | 'body'> {
  return { status, headers: [['Content-Type', status >= 400 ? 'application/problem+json' : 'application/json'], ...extra], body: JSON.stringify(body) };
}

function problem(status: number, title: string, detail: string) {
  return json(status, { type: 'about:blank', title, status, detail });
}

/** What the fake gateway answers, for a petstore-like resource layout under any API. */
export function mockAnswer(req: MockRequest): MockAnswer {
  const method = req.method.toUpperCase();
  const path = req.path.split('?')[0] ?? '/';
  const violations: Violation[] = [];
  let op: ExchangeDetail['operation'] = null;
  let res: Pick<MockAnswer, 'status' | 'headers' | 'body'>;

  const item = /^\/pets\/([^/]+)$/.exec(path);
  if (path === '/pets' && method === 'GET') {
    op = { id: 'findPets', method, path: '/pets' };
    const limit = new URLSearchParams(req.path.split('?')[1] ?? '').get('limit');
    if (limit !== null && !/^\d+$/.test(limit)) violations.push({ in: 'query', pointer: '/limit', message: `limit must be an integer, got "${limit}"` });
    res = json(200, PETS.slice(0, limit && /^\d+$/.test(limit) ? Number(limit) : undefined));
  } else if (path === '/pets' && method === 'POST') {
    op = { id: 'addPet', method, path: '/pets' };
    let parsed: unknown = null;
    try {
      parsed = req.body ? JSON.parse(req.body) : null;
    } catch {
      violations.push({ in: 'body', pointer: '', message: 'request body is not valid JSON' });
    }
    if (parsed === null || typeof parsed !== 'object' || typeof (parsed as { name?: unknown }).name !== 'string') {
      violations.push({ in: 'body', pointer: '/name', message: 'property "name" is required and must be a string' });
      res = problem(400, 'Request does not match the spec', violations.map((v) => v.message).join('; '));
    } else {
      res = json(200, { id: 4, ...(parsed as object) });
    }
  } else if (item && (method === 'GET' || method === 'DELETE')) {
    op = { id: method === 'GET' ? 'findPetById' : 'deletePet', method, path: '/pets/{id}' };
    const id = item[1] ?? '';
    if (!/^\d+$/.test(id)) {
      violations.push({ in: 'path', pointer: '/id', message: `id must be an integer (int64), got "${id}"` });
      res = problem(400, 'Request does not match the spec', `path parameter id must be an integer, got "${id}"`);
    } else if (method === 'DELETE') {
      res = { status: 204, headers: [], body: '' };
    } else {
      const pet = PETS.find((p) => p.id === Number(id));
      res = pet ? json(200, pet) : problem(404, 'Not Found', `no pet with id ${id}`);
    }
  } else if (path === '/invoices' && (method === 'GET' || method === 'POST')) {
    op = { id: method === 'GET' ? 'listInvoices' : '', method, path };
    res = method === 'GET' ? json(200, { items: INVOICES, next: null }) : json(201, { id: 'inv_1003', status: 'draft' }, [['Location', '/invoices/inv_1003']]);
  } else if (/^\/invoices\/[^/]+$/.test(path) && method === 'GET') {
    op = { id: 'getInvoice', method, path: '/invoices/{id}' };
    const inv = INVOICES.find((i) => path.endsWith(`/${i.id}`));
    res = inv ? json(200, inv) : problem(404, 'Not Found', `no invoice ${path.split('/').pop() ?? ''}`);
  } else {
    res = problem(404, 'No route', `${method} ${path} matches no operation of ${req.api}`);
  }
  return { ...res, headers: [...res.headers, ['X-Gantry-Mock', 'true']], operation: op, violations };
}

function message(headers: [string, string][], body: string, encoding: Message['bodyEncoding'] = 'text'): Message {
  const ct = headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  return { headers, contentType: ct, body, bodyEncoding: encoding, truncated: false };
}

/** A full exchange from a request and the mock's answer. */
export function exchangeFrom(id: string, startedAt: Date, baseURL: string, req: MockRequest, ans: MockAnswer, durationMs: number, consumer = ''): ExchangeDetail {
  return {
    id,
    startedAt: startedAt.toISOString(),
    api: req.api,
    method: req.method.toUpperCase(),
    url: `${baseURL.replace(/\/$/, '')}${req.path}`,
    path: req.path.split('?')[0] ?? '/',
    status: ans.status,
    durationMs,
    consumer,
    operation: ans.operation,
    request: message(req.headers, req.body),
    response: message(ans.headers, ans.body),
    violations: ans.violations,
  };
}

/** The list row of an exchange. */
export function rowOf(x: ExchangeDetail): ExchangeRow {
  return {
    id: x.id,
    startedAt: x.startedAt,
    api: x.api,
    method: x.method,
    url: x.url,
    path: x.path,
    status: x.status,
    durationMs: x.durationMs,
    consumer: x.consumer,
    violations: x.violations.length,
  };
}

/** A small deterministic PRNG (mulberry32), so sample traffic is the same on every load. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INVOICE_REQUESTS: Omit<MockRequest, 'api'>[] = [
  { method: 'GET', path: '/invoices', headers: [['Accept', 'application/json']], body: '' },
  { method: 'GET', path: '/invoices/inv_1001', headers: [['Accept', 'application/json']], body: '' },
  { method: 'GET', path: '/invoices/inv_9999', headers: [['Accept', 'application/json']], body: '' },
  { method: 'POST', path: '/invoices', headers: [['Content-Type', 'application/json']], body: '{"amount":2500,"currency":"EUR"}' },
];

const PET_REQUESTS: Omit<MockRequest, 'api'>[] = [
  { method: 'GET', path: '/pets', headers: [['Accept', 'application/json']], body: '' },
  { method: 'GET', path: '/pets?limit=2', headers: [['Accept', 'application/json']], body: '' },
  { method: 'GET', path: '/pets/1', headers: [['Accept', 'application/json']], body: '' },
  { method: 'GET', path: '/pets/2', headers: [['Accept', 'application/json']], body: '' },
  { method: 'GET', path: '/pets/42', headers: [['Accept', 'application/json']], body: '' },
  { method: 'GET', path: '/pets/rex', headers: [['Accept', 'application/json']], body: '' },
  { method: 'POST', path: '/pets', headers: [['Content-Type', 'application/json'], ['Authorization', 'Bearer [redacted]']], body: '{"name":"Luna","tag":"cat"}' },
  { method: 'POST', path: '/pets', headers: [['Content-Type', 'application/json']], body: '{"tag":"fish"}' },
  { method: 'DELETE', path: '/pets/3', headers: [], body: '' },
  { method: 'GET', path: '/pets?limit=ten', headers: [['Accept', 'application/json']], body: '' },
];

const CONSUMERS = ['', '', 'mobile-app', 'partner-acme', 'web'];

/** Exchange number i of a deterministic stream of sample traffic, at time `at`. */
export function sampleExchange(i: number, at: Date, baseURL: string, apis: readonly string[]): ExchangeDetail {
  const rnd = prng(i * 7919 + 17);
  const api = apis[Math.floor(rnd() * apis.length)] ?? 'petstore';
  const pool = api === 'billing' ? INVOICE_REQUESTS : PET_REQUESTS;
  const tmpl = pool[Math.floor(rnd() * pool.length)] as Omit<MockRequest, 'api'>;
  const req: MockRequest = { ...tmpl, api, headers: [['Host', baseURL.replace(/^https?:\/\//, '').split('/')[0] ?? ''], ['User-Agent', 'curl/8.5.0'], ...tmpl.headers] };
  const ans = mockAnswer(req);
  const duration = Math.round((0.3 + rnd() * rnd() * 40) * 100) / 100;
  return exchangeFrom(`x${String(i).padStart(8, '0')}`, at, `${baseURL}/${api}`, req, ans, duration, CONSUMERS[Math.floor(rnd() * CONSUMERS.length)] ?? '');
}
