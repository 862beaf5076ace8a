import { describe, expect, it } from 'vitest';
import type { Assertion, SendResult } from '../api';
import { describe as describeAssertion, equalsValue, fromDraft, suggestedAssertions, toDraft, type AssertionDraft } from './assertions';

describe('round trip', () => {
  it.each<Assertion>([
    { status: '201' },
    { status: '2xx' },
    { header: 'Content-Type', matches: '^application/json' },
    { header: 'Location', exists: true },
    { header: 'Set-Cookie', exists: false },
    { jsonPointer: '/name', equals: 'rex' },
    { jsonPointer: '/id', equals: 7 },
    { jsonPointer: '/tags', equals: ['a'] },
    { jsonPointer: '', exists: true },
    { schemaValid: true },
    { maxDurationMs: 500 },
  ])('%j', (a) => expect(fromDraft(toDraft(a)).assertion).toEqual(a));
});

describe('fromDraft refuses what the file parser would', () => {
  const d = (over: Partial<AssertionDraft>): AssertionDraft => ({ kind: 'status', subject: '', comparison: 'exists', value: '', ...over });
  it.each([
    [d({ subject: '20' }), '"20" is not a status code (201) or class (2xx)'],
    [d({ subject: '6xx' }), '"6xx" is not a status code (201) or class (2xx)'],
    [d({ kind: 'jsonPointer', subject: 'name' }), 'a JSON pointer starts with "/" (or is empty for the whole body)'],
    [d({ kind: 'header', subject: 'Bad Header' }), 'give a header name'],
    [d({ kind: 'header', subject: 'X', comparison: 'matches', value: '(' }), '"(" is not a regular expression'],
    [d({ kind: 'maxDurationMs', subject: '-1' }), 'give a number of milliseconds above 0'],
  ])('%j', (draft, error) => expect(fromDraft(draft)).toEqual({ error }));
});

it.each([
  ['7', 7],
  ['true', true],
  ['"7"', '7'],
  ['rex', 'rex'],
  ['{"a":1}', { a: 1 }],
  ['{{name}}', '{{name}}'],
])('equalsValue(%j)', (t, v) => expect(equalsValue(t)).toEqual(v));

it.each<[Assertion, string]>([
  [{ status: '2xx' }, 'status 2xx'],
  [{ jsonPointer: '/name', equals: 'rex' }, 'body /name equals rex'],
  [{ header: 'Location', exists: false }, 'header Location is absent'],
  [{ schemaValid: true }, 'matches the spec'],
])('describe(%j)', (a, s) => expect(describeAssertion(a)).toBe(s));

it('suggests the status seen and the spec check', () => {
  const res = { status: 201, operation: { id: 'addPet', method: 'POST', path: '/pets' } } as SendResult;
  expect(suggestedAssertions(res)).toEqual([{ status: '201' }, { schemaValid: true }]);
  expect(suggestedAssertions(null)).toEqual([{ status: '2xx' }]);
});
