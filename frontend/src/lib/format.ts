import type { Message } from '../api';

export type BodyKind = 'json' | 'text' | 'xml' | 'form' | 'binary' | 'empty';

export interface PrettyBody {
  kind: BodyKind;
  text: string;
  /** What the reader should know about how the body is shown ("base64", "truncated", "invalid JSON"). */
  notes: string[];
}

/** The media type without parameters, lowercased: "application/json; charset=utf-8" → "application/json". */
export function mediaType(contentType: string): string {
  return contentType.split(';')[0]?.trim().toLowerCase() ?? '';
}

export function isJSONType(ct: string): boolean {
  const t = mediaType(ct);
  return t === 'application/json' || t.endsWith('+json') || t === 'text/json';
}

function isXMLType(ct: string): boolean {
  const t = mediaType(ct);
  return t === 'application/xml' || t === 'text/xml' || t.endsWith('+xml');
}

function isTextType(ct: string): boolean {
  const t = mediaType(ct);
  return t.startsWith('text/') || t === 'application/javascript' || t === 'application/yaml' || t === 'application/x-yaml' || t === '';
}

function decodeBase64(b64: string): Uint8Array | null {
  try {
    const bin = atob(b64.replace(/\s+/g, ''));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

function utf8(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** A hex dump of the first bytes, 16 per line. */
export function hexDump(bytes: Uint8Array, max = 512): string {
  const lines: string[] = [];
  const n = Math.min(bytes.length, max);
  for (let off = 0; off < n; off += 16) {
    const chunk = bytes.slice(off, Math.min(off + 16, n));
    const hex = [...chunk].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...chunk].map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (bytes.length > n) lines.push(`… ${bytes.length - n} more bytes`);
  return lines.join('\n');
}

/** The body of a message as it should be shown: JSON indented, text as is, binary noted. */
export function prettyBody(m: Message): PrettyBody {
  const notes: string[] = [];
  if (m.truncated) notes.push('truncated: the capture kept only the first part of the body');
  if (!m.body) return { kind: 'empty', text: '', notes };

  let text = m.body;
  if (m.bodyEncoding === 'base64') {
    const bytes = decodeBase64(m.body);
    const decoded = bytes ? utf8(bytes) : null;
    if (bytes && decoded !== null && (isJSONType(m.contentType) || isTextType(m.contentType) || isXMLType(m.contentType))) {
      notes.push('sent base64-encoded; shown decoded');
      text = decoded;
    } else {
      notes.push(`binary body (base64, ${bytes ? bytes.length : '?'} bytes)`);
      return { kind: 'binary', text: bytes ? hexDump(bytes) : m.body, notes };
    }
  }

  if (isJSONType(m.contentType)) {
    try {
      return { kind: 'json', text: JSON.stringify(JSON.parse(text), null, 2), notes };
    } catch {
      notes.push(m.truncated ? 'JSON is incomplete' : 'not valid JSON; shown as text');
      return { kind: 'text', text, notes };
    }
  }
  if (mediaType(m.contentType) === 'application/x-www-form-urlencoded') {
    const pairs = [...new URLSearchParams(text)].map(([k, v]) => `${k} = ${v}`);
    return { kind: 'form', text: pairs.join('\n'), notes };
  }
  if (isXMLType(m.contentType)) return { kind: 'xml', text, notes };
  return { kind: 'text', text, notes };
}

/** "12 ms", "1.24 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** "14:03:07.123" in local time; the input unchanged when it is not a date. */
export function formatClock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** "2026-11-24 15:57:23" in local time; the input unchanged when it is not a date. */
export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** A row's path with the query string of its URL, so requests that differ only there tell apart. */
export function pathWithQuery(r: { path: string; url: string }): string {
  const q = r.url.indexOf('?');
  return q < 0 ? r.path : `${r.path}${r.url.slice(q)}`;
}
