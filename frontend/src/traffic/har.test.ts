import { describe, expect, it } from 'vitest';
import type { ExchangeDetail } from '../api';
import { toHar } from './har';

const x = (id: string, startedAt: string, over: Partial<ExchangeDetail> = {}): ExchangeDetail => ({
  id,
  startedAt,
  api: 'petstore',
  method: 'POST',
  url: 'http://h/petstore/pets?dry=1',
  path: '/pets',
  status: 201,
  durationMs: 12.5,
  consumer: '',
  operation: { id: 'addPet', method: 'POST', path: '/pets' },
  request: { headers: [['Content-Type', 'application/json']], contentType: 'application/json', body: '{"name":"Rex"}', bodyEncoding: 'text', truncated: false },
  response: { headers: [['Content-Type', 'image/png']], contentType: 'image/png', body: 'iVBORw0KGgo=', bodyEncoding: 'base64', truncated: false },
  violations: [{ in: 'body', pointer: '/tag', message: 'tag must be a string' }],
  ...over,
});

describe('toHar', () => {
  it('writes a HAR 1.2 log, oldest entry first', () => {
    const har = toHar([x('b', '2026-01-01T00:00:02Z'), x('a', '2026-01-01T00:00:01Z')], '1.2.3');
    expect(har.log.version).toBe('1.2');
    expect(har.log.creator).toEqual({ name: 'Gantry', version: '1.2.3' });
    expect(har.log.entries.map((e) => e._gantry.id)).toEqual(['a', 'b']);
  });

  it('maps request, response, query and timings', () => {
    const e = toHar([x('a', '2026-01-01T00:00:01Z')]).log.entries[0];
    expect(e?.request).toMatchObject({
      method: 'POST',
      url: 'http://h/petstore/pets?dry=1',
      headers: [{ name: 'Content-Type', value: 'application/json' }],
      queryString: [{ name: 'dry', value: '1' }],
      postData: { mimeType: 'application/json', text: '{"name":"Rex"}' },
      bodySize: 14,
    });
    expect(e?.response.content).toEqual({ size: 8, mimeType: 'image/png', text: 'iVBORw0KGgo=', encoding: 'base64' });
    expect(e?.time).toBe(12.5);
    expect(e?._gantry).toEqual({ id: 'a', api: 'petstore', operationId: 'addPet', violations: 1 });
  });

  it('leaves postData out when there is no request body', () => {
    const e = toHar([x('a', '2026-01-01T00:00:01Z', { request: { headers: [], contentType: '', body: '', bodyEncoding: 'text', truncated: false } })]).log.entries[0];
    expect(e?.request.postData).toBeUndefined();
  });
});
