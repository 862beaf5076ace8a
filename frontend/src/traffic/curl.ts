import type { ExchangeDetail } from '../api';

/** Headers curl sets itself or that would be wrong to replay verbatim. */
const SKIP = new Set(['host', 'content-length', 'connection', 'accept-encoding', 'transfer-encoding']);

/** Quotes s for a POSIX shell. */
export function shellQuote(s: string): string {
  if (/^[A-Za-z0-9_\-./:=@%+,]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A curl command that repeats the request of an exchange. */
export function toCurl(x: Pick<ExchangeDetail, 'method' | 'url' | 'request'>): string {
  const parts: string[] = ['curl'];
  const method = x.method.toUpperCase();
  const body = x.request.body;
  if (method !== 'GET' || body) parts.push('-X', shellQuote(method));
  parts.push(shellQuote(x.url));
  for (const [k, v] of x.request.headers) {
    if (SKIP.has(k.toLowerCase())) continue;
    parts.push('-H', shellQuote(`${k}: ${v}`));
  }
  if (!body) return parts.join(' ');
  if (x.request.bodyEncoding === 'base64') {
    parts.push('--data-binary', '@-');
    return `printf %s ${shellQuote(body)} | base64 -d | ${parts.join(' ')}`;
  }
  parts.push('--data-raw', shellQuote(body));
  return parts.join(' ');
}
