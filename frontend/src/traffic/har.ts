import type { ExchangeDetail, Message } from '../api';

// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), enough for
// browsers' and HTTP tools' importers.

export interface HarNameValue {
  name: string;
  value: string;
}

export interface HarEntry {
  startedDateTime: string;
  time: number;
  request: {
    method: string;
    url: string;
    httpVersion: string;
    cookies: HarNameValue[];
    headers: HarNameValue[];
    queryString: HarNameValue[];
    postData?: { mimeType: string; text: string; encoding?: string };
    headersSize: number;
    bodySize: number;
  };
  response: {
    status: number;
    statusText: string;
    httpVersion: string;
    cookies: HarNameValue[];
    headers: HarNameValue[];
    content: { size: number; mimeType: string; text: string; encoding?: string };
    redirectURL: string;
    headersSize: number;
    bodySize: number;
  };
  cache: Record<string, never>;
  timings: { send: number; wait: number; receive: number };
  _gantry: { id: string; api: string; operationId: string; violations: number };
}

export interface Har {
  log: { version: '1.2'; creator: { name: string; version: string }; entries: HarEntry[] };
}

function headers(m: Message): HarNameValue[] {
  return m.headers.map(([name, value]) => ({ name, value }));
}

function bodySize(m: Message): number {
  if (!m.body) return 0;
  if (m.bodyEncoding === 'base64') return Math.floor((m.body.replace(/=+$/, '').length * 3) / 4);
  return new TextEncoder().encode(m.body).length;
}

function queryString(url: string): HarNameValue[] {
  try {
    return [...new URL(url).searchParams].map(([name, value]) => ({ name, value }));
  } catch {
    return [];
  }
}

export function toHarEntry(x: ExchangeDetail): HarEntry {
  const req = x.request;
  const res = x.response;
  const entry: HarEntry = {
    startedDateTime: x.startedAt,
    time: x.durationMs,
    request: {
      method: x.method,
      url: x.url,
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: headers(req),
      queryString: queryString(x.url),
      headersSize: -1,
      bodySize: bodySize(req),
    },
    response: {
      status: x.status,
      statusText: '',
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: headers(res),
      content: { size: bodySize(res), mimeType: res.contentType, text: res.body },
      redirectURL: '',
      headersSize: -1,
      bodySize: bodySize(res),
    },
    cache: {},
    timings: { send: 0, wait: x.durationMs, receive: 0 },
    _gantry: { id: x.id, api: x.api, operationId: x.operation?.id ?? '', violations: x.violations.length },
  };
  if (req.body) {
    entry.request.postData = { mimeType: req.contentType, text: req.body };
    if (req.bodyEncoding === 'base64') entry.request.postData.encoding = 'base64';
  }
  if (res.bodyEncoding === 'base64') entry.response.content.encoding = 'base64';
  return entry;
}

/** A HAR log of the exchanges, oldest first as HAR readers expect. */
export function toHar(exchanges: readonly ExchangeDetail[], version = 'dev'): Har {
  const entries = [...exchanges].sort((a, b) => a.startedAt.localeCompare(b.startedAt)).map(toHarEntry);
  return { log: { version: '1.2', creator: { name: 'Gantry', version }, entries } };
}
