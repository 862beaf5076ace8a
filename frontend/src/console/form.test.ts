import { describe, expect, it } from 'vitest';
import type { JSONSchema, OperationForm } from '../api';
import { applyFields, buildRequest, fieldError, fieldsOf, fillPath, inputFor, jsonError, ownedNames, splitPairs, type Field } from './form';

describe('inputFor', () => {
  it.each<[string, JSONSchema, { kind: string; options?: string[]; placeholder?: string }]>([
    ['enum', { type: 'string', enum: ['available', 'sold'] }, { kind: 'select', options: ['available', 'sold'] }],
    ['numeric enum', { type: 'integer', enum: [1, 2] }, { kind: 'select', options: ['1', '2'] }],
    ['boolean', { type: 'boolean' }, { kind: 'boolean', options: ['true', 'false'] }],
    ['nullable integer', { type: ['integer', 'null'], format: 'int64' }, { kind: 'integer', placeholder: 'int64' }],
    ['number', { type: 'number' }, { kind: 'number', placeholder: 'number' }],
    ['array of strings', { type: 'array', items: { type: 'string' } }, { kind: 'list', placeholder: 'string, string, …' }],
    ['array of enums', { type: 'array', items: { enum: ['a', 'b'] } }, { kind: 'list', placeholder: 'a | b, a | b, …' }],
    ['uuid', { type: 'string', format: 'uuid' }, { kind: 'text', placeholder: 'uuid' }],
    ['any', null, { kind: 'text', placeholder: '' }],
  ])('%s', (_name, schema, want) => expect(inputFor(schema)).toMatchObject(want));
});

const form: OperationForm = {
  api: 'petstore',
  operationId: 'updatePet',
  method: 'PUT',
  path: '/stores/{store}/pets/{id}',
  summary: 'Update a pet',
  parameters: [
    { name: 'store', in: 'path', required: true, schema: { type: 'string' }, values: ['main st'] },
    { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 }, values: ['7'] },
    { name: 'tags', in: 'query', required: false, schema: { type: 'array', items: { type: 'string' } }, values: ['cat', 'small'] },
    { name: 'dryRun', in: 'query', required: true, schema: { type: 'boolean' }, values: ['false'] },
    { name: 'X-Trace', in: 'header', required: false, schema: { type: 'string', pattern: '^[a-f0-9]+$' }, values: ['abc'] },
  ],
  credentials: [{ name: 'X-API-Key', in: 'header', required: true, schema: null, values: ['test-key'] }],
  body: { contentType: 'application/json', mediaTypes: ['application/json'], required: true, schema: null, example: '{"name":"rex"}' },
  baseURL: '',
};

describe('fieldsOf', () => {
  const fields = fieldsOf(form);
  it('has a field per parameter, then the credentials', () => expect(fields.map((f) => f.key)).toEqual(['path:store', 'path:id', 'query:tags', 'query:dryRun', 'header:X-Trace', 'header:X-API-Key']));
  it('sends required fields and credentials, not optional ones', () => expect(fields.map((f) => f.enabled)).toEqual([true, true, false, true, false, true]));
  it('joins array examples', () => expect(fields[2]?.value).toBe('cat,small'));
});

describe('fieldError', () => {
  const base = fieldsOf(form);
  const with_ = (key: string, patch: Partial<Field>) => {
    const f = base.find((x) => x.key === key);
    if (!f) throw new Error(key);
    return { ...f, ...patch };
  };
  it.each([
    ['a fine integer', with_('path:id', { value: '12' }), ''],
    ['not an integer', with_('path:id', { value: 'x' }), '"x" is not an integer'],
    ['below the minimum', with_('path:id', { value: '0' }), 'must be at least 1'],
    ['required and empty', with_('path:store', { value: ' ' }), 'required'],
    ['a variable is not judged', with_('path:id', { value: '{{petId}}' }), ''],
    ['a pattern', with_('header:X-Trace', { enabled: true, value: 'XYZ' }), 'must match ^[a-f0-9]+$'],
    ['disabled fields are not judged', with_('header:X-Trace', { enabled: false, value: 'XYZ' }), ''],
    ['boolean choice', with_('query:dryRun', { value: 'maybe' }), 'must be one of true, false'],
  ])('%s', (_n, f, want) => expect(fieldError(f)).toBe(want));
});

describe('buildRequest', () => {
  it('fills the path, the query, the headers and the body', () => {
    const fields = fieldsOf(form).map((f) => (f.key === 'query:tags' ? { ...f, enabled: true } : f));
    const r = buildRequest(form, fields, '{"name":"rex"}');
    expect(r).toMatchObject({
      method: 'PUT',
      operationId: 'updatePet',
      name: 'Update a pet',
      url: '/stores/main%20st/pets/7',
      query: [
        { name: 'tags', value: 'cat' },
        { name: 'tags', value: 'small' },
        { name: 'dryRun', value: 'false' },
      ],
      headers: [
        { name: 'X-API-Key', value: 'test-key' },
        { name: 'Content-Type', value: 'application/json' },
      ],
      body: '{"name":"rex"}',
    });
  });
  it('keeps variables in the path as they are', () => expect(fillPath('/pets/{id}', [{ ...fieldsOf(form)[1], value: '{{petId}}' } as Field])).toBe('/pets/{{petId}}'));
  it('sends no Content-Type without a body', () => expect(buildRequest(form, fieldsOf(form), '  ').headers.map((h) => h.name)).toEqual(['X-API-Key']));
});

describe('applyFields', () => {
  it('replaces what the fields own and keeps the rest', () => {
    const fields = fieldsOf(form);
    const req = {
      ...buildRequest(form, fields, ''),
      url: '/old?x=1',
      query: [{ name: 'dryRun', value: 'true' }, { name: 'extra', value: '1' }],
      headers: [{ name: 'x-api-key', value: 'old' }, { name: 'Accept', value: 'application/json' }],
    };
    const next = applyFields(req, form, fields.map((f) => (f.key === 'path:id' ? { ...f, value: '9' } : f)));
    expect(next.url).toBe('/stores/main%20st/pets/9?x=1');
    expect(next.query).toEqual([{ name: 'dryRun', value: 'false' }, { name: 'extra', value: '1' }]);
    expect(next.headers).toEqual([{ name: 'X-API-Key', value: 'test-key' }, { name: 'Accept', value: 'application/json' }]);
  });
  it('splits pairs by owner', () => {
    const owned = ownedNames(fieldsOf(form), 'header');
    expect([...owned]).toEqual(['x-trace', 'x-api-key']);
    expect(splitPairs([{ name: 'X-Trace', value: '1' }, { name: 'Accept', value: '2' }], owned)).toEqual([[{ name: 'X-Trace', value: '1' }], [{ name: 'Accept', value: '2' }]]);
  });
});

it.each([
  ['{"a":1}', ''],
  ['', ''],
  ['{"a": {{n}}}', ''],
  ['{"a":', 'error'],
])('jsonError(%j)', (text, want) => expect(jsonError(text) === '' ? '' : 'error').toBe(want));
