import { describe, expect, it } from 'vitest';
import type { Message } from '../api';
import { formatBytes, formatClock, formatDateTime, formatDuration, hexDump, mediaType, pathWithQuery, plural, prettyBody } from './format';

const m = (over: Partial<Message>): Message => ({ headers: [], contentType: '', body: '', bodyEncoding: 'text', truncated: false, ...over });
const b64 = (s: string) => btoa(s);

describe('prettyBody', () => {
  it('indents JSON, including +json types', () => {
    expect(prettyBody(m({ contentType: 'application/json; charset=utf-8', body: '{"a":[1,2]}' }))).toEqual({ kind: 'json', text: '{\n  "a": [\n    1,\n    2\n  ]\n}', notes: [] });
    expect(prettyBody(m({ contentType: 'application/problem+json', body: '{"title":"x"}' })).kind).toBe('json');
  });

  it('shows invalid JSON as text, with a note', () => {
    const b = prettyBody(m({ contentType: 'application/json', body: '{"a":' }));
    expect(b.kind).toBe('text');
    expect(b.text).toBe('{"a":');
    expect(b.notes).toContain('not valid JSON; shown as text');
  });

  it('says a truncated JSON body is incomplete', () => {
    const b = prettyBody(m({ contentType: 'application/json', body: '{"a":', truncated: true }));
    expect(b.notes).toEqual(['truncated: the capture kept only the first part of the body', 'JSON is incomplete']);
  });

  it('shows text as it is', () => {
    expect(prettyBody(m({ contentType: 'text/plain', body: 'hi\nthere' }))).toEqual({ kind: 'text', text: 'hi\nthere', notes: [] });
  });

  it('lists form fields', () => {
    expect(prettyBody(m({ contentType: 'application/x-www-form-urlencoded', body: 'a=1&b=two+words' })).text).toBe('a = 1\nb = two words');
  });

  it('decodes base64 text bodies and says so', () => {
    const b = prettyBody(m({ contentType: 'application/json', body: b64('{"ok":true}'), bodyEncoding: 'base64' }));
    expect(b.kind).toBe('json');
    expect(b.text).toBe('{\n  "ok": true\n}');
    expect(b.notes).toEqual(['sent base64-encoded; shown decoded']);
  });

  it('shows binary bodies as a hex dump with their size', () => {
    const b = prettyBody(m({ contentType: 'image/png', body: b64('\x89PNG\r\n\x1a\n'), bodyEncoding: 'base64' }));
    expect(b.kind).toBe('binary');
    expect(b.notes).toEqual(['binary body (base64, 8 bytes)']);
    expect(b.text).toMatch(/^00000000 {2}89 50 4e 47 0d 0a 1a 0a/);
  });

  it('says when there is no body', () => {
    expect(prettyBody(m({})).kind).toBe('empty');
  });
});

describe('formatting', () => {
  it('media types', () => expect(mediaType(' Application/JSON ; charset=utf-8')).toBe('application/json'));
  it('durations', () => {
    expect(formatDuration(0.25)).toBe('0.25 ms');
    expect(formatDuration(12.4)).toBe('12 ms');
    expect(formatDuration(1234)).toBe('1.23 s');
    expect(formatDuration(-1)).toBe('—');
  });
  it('bytes', () => {
    expect(formatBytes(10)).toBe('10 B');
    expect(formatBytes(2048)).toBe('2.0 KiB');
  });
  it('clock times, and non-dates unchanged', () => {
    expect(formatClock('2026-01-02T03:04:05.006Z')).toMatch(/^\d\d:\d\d:05\.006$/);
    expect(formatClock('soon')).toBe('soon');
    expect(formatDateTime('2026-01-02T03:04:05.006Z')).toMatch(/^2026-01-0[12] \d\d:04:05$/);
    expect(formatDateTime('')).toBe('');
    expect(formatDateTime('never')).toBe('never');
  });
  it('plurals', () => {
    expect(plural(1, 'op')).toBe('1 op');
    expect(plural(12345, 'exchange')).toBe('12,345 exchanges');
  });
  it('hex dumps say what they left out', () => {
    expect(hexDump(new Uint8Array(20), 16).split('\n')).toHaveLength(2);
  });
  it('paths keep the query of the URL', () => {
    expect(pathWithQuery({ path: '/pets', url: 'http://h/x/pets?limit=2' })).toBe('/pets?limit=2');
    expect(pathWithQuery({ path: '/pets', url: 'http://h/x/pets' })).toBe('/pets');
  });
});
