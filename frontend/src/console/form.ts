// The request form of an operation: one field per parameter, generated from its JSON
// Schema and pre-filled with the example the Go side built, and the request it makes.

import type { ConsoleRequest, FormParameter, JSONSchema, OperationForm, Pair } from '../api';

export type InputKind = 'text' | 'number' | 'integer' | 'boolean' | 'select' | 'list';

/** How one schema is edited. */
export interface InputSpec {
  kind: InputKind;
  /** Choices of a select (enum) or boolean. */
  options: string[];
  /** A hint shown in the empty field: the format, pattern or type. */
  placeholder: string;
}

/** One parameter of the form. */
export interface Field {
  /** Unique within the form: "in:name". */
  key: string;
  name: string;
  in: FormParameter['in'];
  required: boolean;
  /** Sent when checked; required fields always are. */
  enabled: boolean;
  value: string;
  input: InputSpec;
  schema: JSONSchema;
  /** A credential the operation's security asks for (placeholder value). */
  credential: boolean;
}

function types(s: JSONSchema): string[] {
  if (!s) return [];
  if (Array.isArray(s.type)) return s.type.filter((t) => t !== 'null');
  return s.type ? [s.type] : [];
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The input for a schema: enums and booleans choose, numbers are numbers, arrays are comma-separated lists. */
export function inputFor(schema: JSONSchema): InputSpec {
  const t = types(schema);
  if (schema?.enum && schema.enum.length > 0) return { kind: 'select', options: schema.enum.map(text), placeholder: '' };
  if (t.includes('boolean')) return { kind: 'boolean', options: ['true', 'false'], placeholder: '' };
  if (t.includes('integer')) return { kind: 'integer', options: [], placeholder: schema?.format ?? 'integer' };
  if (t.includes('number')) return { kind: 'number', options: [], placeholder: schema?.format ?? 'number' };
  if (t.includes('array')) {
    const items = schema?.items ?? null;
    const inner = items?.enum?.length ? items.enum.map(text).join(' | ') : (types(items)[0] ?? 'value');
    return { kind: 'list', options: [], placeholder: `${inner}, ${inner}, …` };
  }
  return { kind: 'text', options: [], placeholder: schema?.format ?? schema?.pattern ?? '' };
}

/** The form's fields: parameters in declaration order, then credentials. */
export function fieldsOf(form: OperationForm): Field[] {
  const mk = (p: FormParameter, credential: boolean): Field => ({
    key: `${p.in}:${p.name}`,
    name: p.name,
    in: p.in,
    required: p.required || p.in === 'path',
    enabled: p.required || p.in === 'path' || credential,
    value: p.values.join(','),
    input: inputFor(p.schema),
    schema: p.schema,
    credential,
  });
  const out = form.parameters.map((p) => mk(p, false));
  for (const c of form.credentials) if (!out.some((f) => f.key === `${c.in}:${c.name}`)) out.push(mk(c, true));
  return out;
}

const VAR = /\{\{[^{}]+\}\}/;

/** Why a field's value is refused ("" when it is fine). Values holding {{variables}} are not judged. */
export function fieldError(f: Field): string {
  if (!f.enabled) return '';
  const v = f.value.trim();
  if (v === '') return f.required ? 'required' : '';
  if (VAR.test(v)) return '';
  const s = f.schema;
  const values = f.input.kind === 'list' ? v.split(',').map((x) => x.trim()) : [v];
  for (const x of values) {
    if (f.input.kind === 'integer' && !/^-?\d+$/.test(x)) return `"${x}" is not an integer`;
    if (f.input.kind === 'number' && !Number.isFinite(Number(x))) return `"${x}" is not a number`;
    if ((f.input.kind === 'integer' || f.input.kind === 'number') && s) {
      if (s.minimum !== undefined && Number(x) < s.minimum) return `must be at least ${s.minimum}`;
      if (s.maximum !== undefined && Number(x) > s.maximum) return `must be at most ${s.maximum}`;
    }
    if ((f.input.kind === 'select' || f.input.kind === 'boolean') && !f.input.options.includes(x)) return `must be one of ${f.input.options.join(', ')}`;
    if (f.input.kind === 'text' && s) {
      if (s.minLength !== undefined && x.length < s.minLength) return `must be at least ${s.minLength} characters`;
      if (s.maxLength !== undefined && x.length > s.maxLength) return `must be at most ${s.maxLength} characters`;
      if (s.pattern) {
        try {
          if (!new RegExp(s.pattern, 'u').test(x)) return `must match ${s.pattern}`;
        } catch {
          // A pattern JavaScript can't read is left to the server.
        }
      }
    }
  }
  return '';
}

/** The path with the path parameters filled in (values with {{variables}} are kept as they are). */
export function fillPath(path: string, fields: readonly Field[]): string {
  return path.replace(/\{([^}]+)\}/g, (whole, name: string) => {
    const f = fields.find((x) => x.in === 'path' && x.name === name);
    if (!f || f.value === '') return whole;
    return VAR.test(f.value) ? f.value : encodeURIComponent(f.value);
  });
}

/** The request the form makes: method, URL relative to the target, enabled query and header fields, the body. */
export function buildRequest(form: OperationForm, fields: readonly Field[], body: string, contentType = form.body?.contentType ?? ''): ConsoleRequest {
  const query: Pair[] = [];
  const headers: Pair[] = [];
  const cookies: string[] = [];
  for (const f of fields) {
    if (!f.enabled || (f.value === '' && !f.required)) continue;
    if (f.in === 'query') {
      const vals = f.input.kind === 'list' ? f.value.split(',').map((x) => x.trim()) : [f.value];
      for (const v of vals) query.push({ name: f.name, value: v });
    } else if (f.in === 'header') headers.push({ name: f.name, value: f.value });
    else if (f.in === 'cookie') cookies.push(`${f.name}=${f.value}`);
  }
  if (cookies.length) headers.push({ name: 'Cookie', value: cookies.join('; ') });
  const hasBody = body.trim() !== '';
  if (hasBody && contentType && !headers.some((h) => h.name.toLowerCase() === 'content-type')) headers.push({ name: 'Content-Type', value: contentType });
  return {
    name: form.summary || form.operationId,
    description: '',
    operationId: form.operationId,
    method: form.method,
    url: fillPath(form.path, fields),
    headers,
    query,
    body: hasBody ? body : '',
    capture: {},
    assert: [],
    file: '',
  };
}

/** Whether text is JSON; "" for yes, else the parser's complaint. */
export function jsonError(text: string): string {
  if (text.trim() === '' || /\{\{[^{}]+\}\}/.test(text)) return '';
  try {
    JSON.parse(text);
    return '';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * req with the form's parameters put in: the URL from the path template, the query and
 * header pairs the fields own replaced by the fields' values; other pairs are kept.
 */
export function applyFields(req: ConsoleRequest, form: OperationForm, fields: readonly Field[]): ConsoleRequest {
  const built = buildRequest(form, fields, req.body);
  const own = (where: Field['in']) => new Set(fields.filter((f) => f.in === where).map((f) => f.name.toLowerCase()));
  const q = own('query');
  const h = own('header');
  if (fields.some((f) => f.in === 'cookie')) h.add('cookie');
  const keptHeaders = req.headers.filter((p) => !h.has(p.name.toLowerCase()));
  const builtHeaders = built.headers.filter((p) => p.name.toLowerCase() !== 'content-type' || !keptHeaders.some((k) => k.name.toLowerCase() === 'content-type'));
  const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
  return {
    ...req,
    url: built.url + query,
    query: [...built.query, ...req.query.filter((p) => !q.has(p.name.toLowerCase()))],
    headers: [...builtHeaders, ...keptHeaders],
  };
}

/** The lower-cased names of the query or header parameters the form's fields own. */
export function ownedNames(fields: readonly Field[], where: 'query' | 'header'): Set<string> {
  const s = new Set(fields.filter((f) => f.in === where).map((f) => f.name.toLowerCase()));
  if (where === 'header' && fields.some((f) => f.in === 'cookie')) s.add('cookie');
  return s;
}

/** pairs with the ones named in owned split off: [owned, others]. */
export function splitPairs(pairs: readonly Pair[], owned: Set<string>): [Pair[], Pair[]] {
  return [pairs.filter((p) => owned.has(p.name.toLowerCase())), pairs.filter((p) => !owned.has(p.name.toLowerCase()))];
}
