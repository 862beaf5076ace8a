import { describe, expect, it } from 'vitest';
import type { Operation } from '../api';
import { analyze } from './check';
import { deleteOperation, readOperation, writeOperation } from './operation';
import { PETSTORE_TEMPLATE } from './samples';

const op = (patch: Partial<Operation> = {}): Operation => ({
  path: '/owners/{id}',
  method: 'get',
  operationId: 'getOwner',
  summary: 'Find an owner',
  description: '',
  tags: ['owners'],
  parameters: [{ name: 'id', in: 'path', required: true, description: 'the id', schema: '{"type": "integer"}', example: '' }],
  requestBody: null,
  responses: [{ status: '200', description: 'The owner', mediaType: 'application/json', schema: '{"type": "object"}', example: '' }],
  ...patch,
});

describe('the fake operation editor', () => {
  it('reads an operation of a YAML spec', () => {
    const o = readOperation(PETSTORE_TEMPLATE, '/pets', 'get');
    expect(o.summary).toBe('List pets');
    expect(o.operationId).toBe('findPets');
    expect(o.description).toContain('Returns all pets');
    expect(o.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['query:tags', 'query:limit']);
    expect(JSON.parse(o.parameters[0]?.schema ?? '')).toEqual({ type: 'array', items: { type: 'string' } });
    expect(o.responses.map((r) => r.status)).toContain('200');
  });

  it('adds, edits and deletes an operation, keeping the spec usable', () => {
    const added = writeOperation(PETSTORE_TEMPLATE, null, op());
    let a = analyze(added, 'petstore.yaml');
    expect(a.usable).toBe(true);
    expect(a.outline.map((o) => `${o.method} ${o.path}`)).toContain('GET /owners/{id}');
    expect(readOperation(added, '/owners/{id}', 'get').summary).toBe('Find an owner');

    const edited = writeOperation(added, { path: '/owners/{id}', method: 'get' }, op({ method: 'put', summary: 'Replace an owner' }));
    a = analyze(edited, 'petstore.yaml');
    expect(a.outline.map((o) => `${o.method} ${o.path}`)).toContain('PUT /owners/{id}');
    expect(a.outline.map((o) => `${o.method} ${o.path}`)).not.toContain('GET /owners/{id}');

    const back = deleteOperation(edited, '/owners/{id}', 'put');
    expect(back).toBe(PETSTORE_TEMPLATE);
  });

  it('adds a method to an existing path', () => {
    const out = writeOperation(PETSTORE_TEMPLATE, null, op({ path: '/pets', method: 'patch', parameters: [] }));
    const a = analyze(out, 'petstore.yaml');
    expect(a.outline.filter((o) => o.path === '/pets').map((o) => o.method)).toEqual(['GET', 'POST', 'PATCH']);
  });

  it('names the field that is wrong', () => {
    const bad = op({ parameters: [op().parameters[0] as Operation['parameters'][0], { name: 'q', in: 'query', required: false, description: '', schema: '{nope', example: '' }] });
    expect(() => writeOperation(PETSTORE_TEMPLATE, null, bad)).toThrow(/^parameters\[1\]\.schema: not valid JSON/);
    expect(() => writeOperation(PETSTORE_TEMPLATE, null, op({ path: '/pets', method: 'get', parameters: [] }))).toThrow('method: GET /pets exists already');
    expect(() => writeOperation(PETSTORE_TEMPLATE, null, op({ path: 'pets' }))).toThrow('path: must start with /');
  });

  it('edits JSON specs too', () => {
    const text = JSON.stringify({ openapi: '3.0.3', info: { title: 'x', version: '1' }, paths: {} }, null, 2);
    const out = writeOperation(text, null, op());
    expect(JSON.parse(out).paths['/owners/{id}'].get.operationId).toBe('getOwner');
    expect(readOperation(out, '/owners/{id}', 'get').parameters[0]?.schema).toBe('{"type":"integer"}');
    expect(JSON.parse(deleteOperation(out, '/owners/{id}', 'get')).paths).toEqual({});
  });
});
