import { describe, expect, it } from 'vitest';
import type { PolicySpec } from '../api';
import { configOf, draftOf, issuesByField, newDraft, valueOf } from './settings';

const spec: PolicySpec = {
  name: 'x',
  phase: 1,
  title: 'X',
  description: '',
  fields: [
    { name: 'requests', kind: 'integer', required: true, description: '', example: '100' },
    { name: 'window', kind: 'duration', required: true, description: '', example: '"1m"' },
    { name: 'by', kind: 'enum', options: ['ip', 'key'], description: '' },
    { name: 'headers', kind: 'boolean', description: '' },
    { name: 'allow', kind: 'list', description: '' },
    { name: 'set', kind: 'map', description: '' },
    { name: 'keys', kind: 'json', description: '' },
  ],
};
const field = (n: string) => spec.fields.find((f) => f.name === n) ?? spec.fields[0]!;

describe('valueOf', () => {
  it.each<[string, string, unknown]>([
    ['requests', '10', 10],
    ['requests', 'ten', 'ten'],
    ['requests', '  ', undefined],
    ['window', '30s', '30s'],
    ['headers', 'false', false],
    ['allow', '10.0.0.0/8, 127.0.0.1', ['10.0.0.0/8', '127.0.0.1']],
    ['set', 'X-A: 1\nX-B: two: three\nbad line', { 'X-A': '1', 'X-B': 'two: three' }],
    ['keys', '[{"kid":"k"}]', [{ kid: 'k' }]],
    ['keys', '[oops', '[oops'],
  ])('%s %j', (name, text, want) => expect(valueOf(field(name), text)).toEqual(want));
});

it('round-trips settings through the form', () => {
  const settings = { requests: 5, window: '1m', by: 'ip', headers: true, allow: ['a', 'b'], set: { 'X-A': '1' }, keys: [{ kid: 'k' }], other: { n: 1 } };
  const d = draftOf({ name: 'x', settings }, spec);
  expect(d.values.allow).toBe('a, b');
  expect(configOf(d, spec)).toEqual({ name: 'x', settings });
});

it('leaves empty fields out', () => expect(configOf({ name: 'x', values: { by: '', requests: '' } }, spec)).toEqual({ name: 'x' }));

it('fills required fields from the examples', () => expect(newDraft(spec)).toEqual({ name: 'x', values: { requests: '100', window: '1m' } }));

it('groups issues by field', () => {
  const m = issuesByField(
    [
      { operation: '', policy: 'x', field: 'window', message: 'bad' },
      { operation: '', policy: 'x', field: 'keys[0].alg', message: 'alg' },
      { operation: '', policy: 'x', field: '', message: 'whole' },
      { operation: '', policy: 'y', field: 'window', message: 'other' },
    ],
    'x',
  );
  expect(Object.fromEntries(m)).toEqual({ window: ['bad'], keys: ['alg'], '': ['whole'] });
});
