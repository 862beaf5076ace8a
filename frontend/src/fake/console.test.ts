import { describe, expect, it } from 'vitest';
import { checkPolicy, exampleOf, judge } from './console';

describe('the fake console', () => {
  it('judges assertions like the Go runner', () => {
    const ans = { status: 201, headers: [['Content-Type', 'application/json']] as [string, string][], body: '{"id":7,"name":"rex"}', durationMs: 3, violations: 0 };
    const res = judge([{ status: '2xx' }, { jsonPointer: '/name', equals: 'rex' }, { jsonPointer: '/tag', exists: true }, { header: 'Content-Type', matches: '^application/json' }, { schemaValid: true }], ans);
    expect(res.map((r) => r.passed)).toEqual([true, true, false, true, true]);
    expect(judge([], { ...ans, status: 404 })[0]).toMatchObject({ passed: false, message: 'got 404' });
  });

  it('checks policy settings like the factories', () => {
    expect(checkPolicy({ name: 'rateLimit', settings: { requests: 10, window: 'soon' } }, 0)).toEqual([
      { operation: '', policy: 'rateLimit', field: 'window', message: '"soon" is not a duration like "30s" or "1m"' },
    ]);
    expect(checkPolicy({ name: 'keyAuth' }, 0)[0]?.message).toBe('no consumers are configured, so no API key could be accepted');
    expect(checkPolicy({ name: 'keyAuth', settings: { in: 'header' } }, 1)).toEqual([]);
    expect(checkPolicy({ name: 'nope' }, 1)[0]?.message).toMatch(/^unknown policy/);
  });

  it('makes examples from schemas', () => {
    const root = { components: { schemas: { Pet: { type: 'object', properties: { id: { type: 'integer' }, tags: { type: 'array', items: { enum: ['a'] } } } } } } };
    expect(exampleOf(root, { $ref: '#/components/schemas/Pet' })).toEqual({ id: 1, tags: ['a'] });
  });
});
