import { describe, expect, it } from 'vitest';
import type { ConsoleRequest } from '../api';
import { missingVariables, requestVariables, substitute, validVariableName, variablesIn } from './vars';

const req = (over: Partial<ConsoleRequest>): ConsoleRequest => ({
  name: 'r', description: '', operationId: '', method: 'GET', url: '/', headers: [], query: [], body: '', capture: {}, assert: [], file: '', ...over,
});

describe('variablesIn', () => {
  it.each([
    ['{{baseUrl}}/pets/{{ id }}', ['baseUrl', 'id']],
    ['Bearer {{token}} {{token}}', ['token']],
    ['{{$uuid}} and {{x}}', ['x']],
    ['no variables {single} {{ }}', []],
  ])('%s', (s, want) => expect(variablesIn(s)).toEqual(want));
});

describe('substitute', () => {
  it.each<{ s: string; vars: Record<string, string>; text: string; missing: string[] }>([
    { s: '{{baseUrl}}/pets', vars: { baseUrl: 'http://x' }, text: 'http://x/pets', missing: [] },
    { s: 'Bearer {{token}}', vars: {}, text: 'Bearer {{token}}', missing: ['token'] },
    { s: '{{a}}{{b}}{{a}}', vars: { b: '2' }, text: '{{a}}2{{a}}', missing: ['a'] },
    { s: 'id {{$uuid}}', vars: {}, text: 'id {{$uuid}}', missing: [] },
    { s: 'empty {{e}}', vars: { e: '' }, text: 'empty ', missing: [] },
  ])('$s', ({ s, vars, text, missing }) => expect(substitute(s, vars)).toEqual({ text, missing }));
});

describe('request variables', () => {
  const r = req({
    url: '{{baseUrl}}/pets/{{petId}}',
    headers: [{ name: 'Authorization', value: 'Bearer {{token}}' }],
    query: [{ name: 'tag', value: '{{tag}}' }],
    body: '{"owner":"{{owner}}"}',
    assert: [{ jsonPointer: '/name', equals: '{{name}}' }, { header: 'X', matches: '^{{prefix}}' }],
  });
  it('finds every reference', () => expect(requestVariables(r)).toEqual(['baseUrl', 'petId', 'owner', 'token', 'tag', 'name', 'prefix']));
  it('leaves out what the environment and the send set', () => expect(missingVariables(r, { token: 't', petId: '1', tag: '', name: 'n' })).toEqual(['owner', 'prefix']));
});

it.each([
  ['token', true],
  ['api.key_2-x', true],
  ['', false],
  ['a b', false],
  ['$uuid', false],
  ['1x', false],
  ['-x', false],
  ['_private', true],
])('validVariableName(%j) = %s', (n, ok) => expect(validVariableName(n)).toBe(ok));
