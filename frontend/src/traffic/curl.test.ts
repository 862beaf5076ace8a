import { describe, expect, it } from 'vitest';
import type { Message } from '../api';
import { shellQuote, toCurl } from './curl';

const msg = (over: Partial<Message> = {}): Message => ({ headers: [], contentType: '', body: '', bodyEncoding: 'text', truncated: false, ...over });

describe('shellQuote', () => {
  it('leaves safe words alone and quotes the rest', () => {
    expect(shellQuote('http://h/a?b=1')).toBe("'http://h/a?b=1'");
    expect(shellQuote('GET')).toBe('GET');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});

describe('toCurl', () => {
  it('writes a plain GET without -X and skips headers curl sets', () => {
    const c = toCurl({ method: 'GET', url: 'http://127.0.0.1:4010/pets', request: msg({ headers: [['Host', 'x'], ['Accept', 'application/json']] }) });
    expect(c).toBe("curl http://127.0.0.1:4010/pets -H 'Accept: application/json'");
  });

  it('sends a text body as given', () => {
    const c = toCurl({ method: 'post', url: 'http://h/pets', request: msg({ headers: [['Content-Type', 'application/json']], body: `{"name":"O'Neil"}` }) });
    expect(c).toBe(`curl -X POST http://h/pets -H 'Content-Type: application/json' --data-raw '{"name":"O'\\''Neil"}'`);
  });

  it('pipes a base64 body through base64 -d', () => {
    const c = toCurl({ method: 'PUT', url: 'http://h/blob', request: msg({ body: 'AAEC', bodyEncoding: 'base64' }) });
    expect(c).toBe('printf %s AAEC | base64 -d | curl -X PUT http://h/blob --data-binary @-');
  });
});
