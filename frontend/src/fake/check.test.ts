import { describe, expect, it } from 'vitest';
import { analyze } from './check';
import { markdownToHTML } from './markdown';
import { BILLING_JSON, BLANK_TEMPLATE, PETSTORE_TEMPLATE } from './samples';

describe('the fake checker', () => {
  it('finds the petstore clean, with its four operations', () => {
    const r = analyze(PETSTORE_TEMPLATE, 'petstore.yaml');
    expect(r.diagnostics).toEqual([]);
    expect(r.usable).toBe(true);
    expect(r.outline.map((o) => `${o.method} ${o.path} ${o.operationId}`)).toEqual([
      'GET /pets findPets',
      'POST /pets addPet',
      'GET /pets/{id} findPetById',
      'DELETE /pets/{id} deletePet',
    ]);
    expect(r.info).toMatchObject({ title: 'Swagger Petstore', version: '1.0.0' });
    expect(r.info.description).toContain('- List, add, fetch and delete **pets**');
  });

  it('reads the blank template', () => {
    expect(analyze(BLANK_TEMPLATE, 'x.yaml').outline).toHaveLength(1);
  });

  it('reports lint findings in the billing JSON with positions', () => {
    const r = analyze(BILLING_JSON, 'billing.json');
    expect(r.usable).toBe(true);
    expect(r.diagnostics.map((d) => `${d.rule}@${d.line}`)).toEqual(['info-contact@3', 'operation-operationId@15', 'path-keys-no-trailing-slash@28']);
    expect(r.outline).toHaveLength(4);
  });

  it('rejects a duplicate key, an unclosed flow sequence, a tab and a bad quote', () => {
    const text = 'openapi: 3.1.0\nopenapi: 3.0.0\ninfo:\n  title: [a, b\n\tversion: 1\n  description: "open\n';
    const r = analyze(text, 'x.yaml');
    expect(r.usable).toBe(false);
    expect(r.diagnostics.filter((d) => d.source === 'parser').map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([
      '2:1 mapping key "openapi" already defined at line 1',
      "4:10 did not find expected ',' or ']'",
      '5:1 found a tab character where an indentation space is expected',
      '6:16 found unexpected end of line while scanning a quoted scalar',
    ]);
  });

  it('reports JSON syntax errors at their position', () => {
    const r = analyze('{\n  "openapi": "3.1.0",\n  "info": {,\n}', 'x.json');
    expect(r.usable).toBe(false);
    expect(r.diagnostics[0]).toMatchObject({ line: 3, column: 12, source: 'parser', rule: 'json-syntax' });
  });

  it('finds unresolved references and unused path parameters', () => {
    const text = `openapi: 3.1.0
info:
  title: T
  version: "1"
  description: d
  contact: {}
paths:
  /a:
    get:
      operationId: a
      summary: A
      parameters:
        - name: id
          in: path
      responses:
        "200":
          $ref: '#/components/responses/Missing'
`;
    const r = analyze(text, 'x.yaml');
    expect(r.diagnostics.map((d) => d.rule)).toEqual(['path-params', 'unresolved-ref']);
  });

  it('says what an empty document lacks', () => {
    expect(analyze('', 'x.yaml').diagnostics.map((d) => d.rule)).toEqual(['oas-version', 'info-object']);
  });
});

describe('the fake Markdown renderer', () => {
  it('escapes HTML and renders the basics', () => {
    expect(markdownToHTML('# T\n\nSome **bold** <script>x</script> and `code`.\n\n- a\n- b\n\n[link](https://x.y) [bad](javascript:alert)')).toBe(
      '<h1>T</h1>\n<p>Some <strong>bold</strong> &lt;script&gt;x&lt;/script&gt; and <code>code</code>.</p>\n<ul><li>a</li><li>b</li></ul>\n<p><a href="https://x.y">link</a> [bad](javascript:alert)</p>',
    );
  });
});
