// A Vite plugin for dev and preview servers: under /__gantry_fake/gw/<api>/…
// it answers like the gateway's mock (src/fake/mock.ts) and streams every
// exchange to the browser's fake backend over server-sent events, so real
// HTTP clients (curl, end-to-end tests) produce traffic in the inspector.
// It is never part of the built app.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'vite';
import { exchangeFrom, mockAnswer } from '../src/fake/mock.ts';

const ROOT = '/__gantry_fake';
const PREFIX = `${ROOT}/gw`;
const MAX_BODY = 1 << 20;

type Next = (err?: unknown) => void;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function headerPairs(req: IncomingMessage): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) out.push([req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string]);
  return out;
}

export function fakeGateway(): Plugin {
  const clients = new Set<ServerResponse>();

  const handle = (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    const url = req.url ?? '';
    if (url === `${ROOT}/health`) {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ ok: true, prefix: PREFIX }));
      return;
    }
    if (url === `${ROOT}/events`) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      res.write(': connected\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (!url.startsWith(`${PREFIX}/`)) {
      next();
      return;
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': '*', 'Access-Control-Allow-Headers': '*' });
      res.end();
      return;
    }
    if (clients.size === 0) {
      res.writeHead(503, { 'Content-Type': 'application/problem+json' });
      res.end(JSON.stringify({ title: 'Gateway not running', status: 503, detail: 'start the gateway in the UI first' }));
      return;
    }
    const started = process.hrtime.bigint();
    void readBody(req).then(
      (body) => {
        const rest = url.slice(PREFIX.length + 1);
        const slash = rest.indexOf('/');
        const api = decodeURIComponent(slash < 0 ? rest.split('?')[0] ?? '' : rest.slice(0, slash));
        const path = slash < 0 ? `/${rest.includes('?') ? `?${rest.split('?')[1] ?? ''}` : ''}` : rest.slice(slash);
        const mreq = { api, method: req.method ?? 'GET', path, headers: headerPairs(req), body };
        const ans = mockAnswer(mreq);
        res.writeHead(ans.status, Object.fromEntries([...ans.headers, ['Access-Control-Allow-Origin', '*']]));
        res.end(ans.body);
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const base = `http://${req.headers.host ?? '127.0.0.1'}${PREFIX}/${api}`;
        const { id: _id, ...x } = exchangeFrom('', new Date(), base, mreq, ans, Math.round(ms * 100) / 100);
        const data = `data: ${JSON.stringify(x)}\n\n`;
        for (const c of clients) c.write(data);
      },
      (err: unknown) => next(err),
    );
  };

  return {
    name: 'gantry-fake-gateway',
    configureServer(server) {
      server.middlewares.use(handle);
    },
    configurePreviewServer(server) {
      server.middlewares.use(handle);
    },
  };
}
