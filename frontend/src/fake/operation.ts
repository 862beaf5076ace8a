// Reading, writing and deleting one operation of a spec for the fake backend.
// JSON documents are parsed and written whole; YAML documents are edited line
// by line (the operation's block is replaced), which keeps the rest of the text
// as it was. It mirrors the Go side's checks and "field: message" errors.

import type { Operation, OperationKey } from '../api';
import { child, parseYAML, type Node } from './tree';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const STATUS_RE = /^([1-5][0-9][0-9]|[1-5]XX|default)$/;
const PATH_PARAM_RE = /\{([^{}/]+)\}/g;

class FieldError extends Error {
  constructor(field: string, msg: string) {
    super(field ? `${field}: ${msg}` : msg);
  }
}

const isJSON = (text: string) => /^\s*[{[]/.test(text);
const noOp = (method: string, path: string) => new Error(`the document has no operation ${method.toUpperCase()} ${path}`);

function checkJSON(text: string, field: string, object: boolean) {
  if (!text.trim()) return;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new FieldError(field, `not valid JSON: ${(e as Error).message}`);
  }
  if (object && (typeof v !== 'object' || v === null || Array.isArray(v))) {
    throw new FieldError(field, 'a schema is a JSON object, e.g. {"type": "string"}');
  }
}

export function validateOperation(op: Operation): void {
  if (!op.path.startsWith('/')) throw new FieldError('path', 'must start with /');
  if (!METHODS.includes(op.method.toLowerCase())) {
    throw new FieldError('method', `"${op.method}" is not an HTTP method OpenAPI knows (${METHODS.join(', ')})`);
  }
  if (op.responses.length === 0) throw new FieldError('responses', 'an operation needs at least one response');
  const templated = new Set([...op.path.matchAll(PATH_PARAM_RE)].map((m) => m[1] as string));
  const declared = new Set<string>();
  const seen = new Set<string>();
  op.parameters.forEach((p, i) => {
    const field = `parameters[${i}]`;
    if (p.ref) return;
    if (!p.name.trim()) throw new FieldError(`${field}.name`, 'a parameter needs a name');
    if (!['path', 'query', 'header', 'cookie'].includes(p.in)) throw new FieldError(`${field}.in`, `"${p.in}" is not one of path, query, header, cookie`);
    const key = `${p.in}:${p.name}`;
    if (seen.has(key)) throw new FieldError(`${field}.name`, `the ${p.in} parameter "${p.name}" is declared twice`);
    seen.add(key);
    if (p.in === 'path') {
      if (!templated.has(p.name)) throw new FieldError(`${field}.name`, `path parameter "${p.name}" is not in the path ${op.path}`);
      declared.add(p.name);
    }
    checkJSON(p.schema, `${field}.schema`, true);
    checkJSON(p.example, `${field}.example`, false);
  });
  const hasRefs = op.parameters.some((p) => p.ref);
  for (const name of templated) {
    if (!declared.has(name) && !hasRefs) throw new FieldError('parameters', `the path has {${name}} but no path parameter "${name}" is declared`);
  }
  const b = op.requestBody;
  if (b && !b.ref) {
    if (!b.mediaType.trim()) throw new FieldError('requestBody.mediaType', 'a request body needs a media type, e.g. application/json');
    checkJSON(b.schema, 'requestBody.schema', true);
    checkJSON(b.example, 'requestBody.example', false);
  }
  const statuses = new Set<string>();
  op.responses.forEach((r, i) => {
    const field = `responses[${i}]`;
    if (!STATUS_RE.test(r.status)) throw new FieldError(`${field}.status`, `"${r.status}" is not a status code (200), a range (4XX) or default`);
    if (statuses.has(r.status)) throw new FieldError(`${field}.status`, `status ${r.status} is declared twice`);
    statuses.add(r.status);
    if (r.ref) return;
    checkJSON(r.schema, `${field}.schema`, true);
    checkJSON(r.example, `${field}.example`, false);
    if ((r.schema || r.example) && !r.mediaType.trim()) throw new FieldError(`${field}.mediaType`, 'a response with a schema or example needs a media type');
  });
}

// ---------------------------------------------------------------------------
// Operation <-> plain value

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const json = (v: unknown) => (v === undefined ? '' : JSON.stringify(v));

function firstMedia(content: unknown): [string, Obj] {
  if (!isObj(content)) return ['', {}];
  const k = Object.keys(content)[0];
  return k === undefined ? ['', {}] : [k, isObj(content[k]) ? (content[k] as Obj) : {}];
}

function fromValue(path: string, method: string, v: Obj): Operation {
  const body = isObj(v.requestBody) ? v.requestBody : null;
  const [bodyType, bodyMedia] = firstMedia(body?.content);
  return {
    path,
    method,
    operationId: str(v.operationId),
    summary: str(v.summary),
    description: str(v.description),
    tags: Array.isArray(v.tags) ? v.tags.map(str) : [],
    parameters: (Array.isArray(v.parameters) ? v.parameters : []).filter(isObj).map((p) =>
      typeof p.$ref === 'string'
        ? { ref: p.$ref, name: '', in: '', required: false, description: '', schema: '', example: '' }
        : { name: str(p.name), in: str(p.in), required: p.required === true, description: str(p.description), schema: json(p.schema), example: json(p.example) },
    ),
    requestBody: body
      ? typeof body.$ref === 'string'
        ? { ref: body.$ref, required: false, description: '', mediaType: '', schema: '', example: '' }
        : { required: body.required === true, description: str(body.description), mediaType: bodyType, schema: json(bodyMedia.schema), example: json(bodyMedia.example) }
      : null,
    responses: Object.entries(isObj(v.responses) ? v.responses : {}).map(([status, r]) => {
      const ro = isObj(r) ? r : {};
      if (typeof ro.$ref === 'string') return { status, ref: ro.$ref, description: '', mediaType: '', schema: '', example: '' };
      const [mediaType, media] = firstMedia(ro.content);
      return { status, description: str(ro.description), mediaType, schema: json(media.schema), example: json(media.example) };
    }),
  };
}

const parse = (text: string): unknown => (text.trim() ? JSON.parse(text) : undefined);

function media(schema: string, example: string): Obj {
  const m: Obj = {};
  if (schema.trim()) m.schema = parse(schema);
  if (example.trim()) m.example = parse(example);
  return m;
}

function toValue(op: Operation): Obj {
  const v: Obj = {};
  if (op.tags.length) v.tags = op.tags;
  if (op.summary) v.summary = op.summary;
  if (op.description) v.description = op.description;
  if (op.operationId) v.operationId = op.operationId;
  if (op.parameters.length) {
    v.parameters = op.parameters.map((p) => {
      if (p.ref) return { $ref: p.ref };
      const o: Obj = { name: p.name, in: p.in };
      if (p.description) o.description = p.description;
      if (p.required || p.in === 'path') o.required = true;
      o.schema = p.schema.trim() ? parse(p.schema) : { type: 'string' };
      if (p.example.trim()) o.example = parse(p.example);
      return o;
    });
  }
  const b = op.requestBody;
  if (b) {
    if (b.ref) v.requestBody = { $ref: b.ref };
    else {
      const o: Obj = {};
      if (b.description) o.description = b.description;
      if (b.required) o.required = true;
      o.content = { [b.mediaType]: media(b.schema, b.example) };
      v.requestBody = o;
    }
  }
  const responses: Obj = {};
  for (const r of op.responses) {
    if (r.ref) {
      responses[r.status] = { $ref: r.ref };
      continue;
    }
    const o: Obj = { description: r.description || r.status };
    if (r.mediaType.trim()) o.content = { [r.mediaType]: media(r.schema, r.example) };
    responses[r.status] = o;
  }
  v.responses = responses;
  return v;
}

// ---------------------------------------------------------------------------
// YAML

function scalar(s: string): unknown {
  const t = s.trim();
  if (t === '' || t === '~' || t === 'null') return t === '' ? '' : null;
  if (t === 'true' || t === 'false') return t === 'true';
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t)) return Number(t);
  if (t.startsWith('"') && t.endsWith('"') && t.length >= 2) {
    try {
      return JSON.parse(t);
    } catch {
      return t.slice(1, -1);
    }
  }
  if (t.startsWith("'") && t.endsWith("'") && t.length >= 2) return t.slice(1, -1).replace(/''/g, "'");
  if (t.startsWith('[') || t.startsWith('{')) {
    try {
      return JSON.parse(t);
    } catch {
      try {
        // Unquoted flow items: [a, b] or {type: string}.
        return JSON.parse(t.replace(/([[{,:]\s*)([^\s"'[\]{},:][^[\]{},:]*?)(\s*[\]},:])/g, (_, a, b, c) => `${a}${JSON.stringify(scalar(b))}${c}`));
      } catch {
        return t;
      }
    }
  }
  return t;
}

function nodeValue(n: Node, lines: string[]): unknown {
  if (/^[|>][-+]?\d*$/.test(n.value.trim())) {
    // A block scalar: the more indented lines after the key.
    const at = n.line - 1;
    const body = lines.slice(at + 1, blockEnd(lines, at));
    const ind = Math.min(...body.filter((l) => l.trim()).map(indentOf));
    const text = body.map((l) => l.slice(ind)).join(n.value.trim().startsWith('>') ? ' ' : '\n');
    return n.value.includes('-') ? text.trimEnd() : `${text.trimEnd()}\n`;
  }
  if (n.children.length === 0) return scalar(n.value);
  if (n.children.every((c) => c.list)) return n.children.map((c) => nodeValue(c, lines));
  const o: Obj = {};
  for (const c of n.children) if (!c.list) o[c.key] = nodeValue(c, lines);
  return o;
}

const indentOf = (line: string) => line.length - line.trimStart().length;
const blank = (line: string) => line.trim() === '' || line.trimStart().startsWith('#');

/** The index after the last line of the block that starts at line index i. */
function blockEnd(lines: string[], i: number): number {
  const ind = indentOf(lines[i] as string);
  let end = i + 1;
  for (let j = i + 1; j < lines.length; j++) {
    const l = lines[j] as string;
    if (blank(l)) continue;
    if (indentOf(l) <= ind) break;
    end = j + 1;
  }
  return end;
}

const PLAIN = /^[A-Za-z0-9_./{}()][A-Za-z0-9_ ./{}()-]*$/;
const yamlKey = (k: string) => (PLAIN.test(k) && !/^\d+$/.test(k) && !/ $/.test(k) ? k : JSON.stringify(k));
const yamlScalar = (v: unknown) =>
  typeof v === 'string' ? (PLAIN.test(v) && !['true', 'false', 'null', '~'].includes(v) && !/^-?\d/.test(v) ? v : JSON.stringify(v)) : JSON.stringify(v);

/** v as block YAML lines at indent. Schemas and examples are written as JSON (flow YAML). */
function yamlLines(v: unknown, indent: number, flowKeys: Set<string>): string[] {
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  if (Array.isArray(v)) {
    for (const item of v) {
      if (isObj(item) && Object.keys(item).length) {
        const inner = yamlLines(item, indent + 2, flowKeys);
        out.push(`${pad}- ${(inner[0] as string).trimStart()}`, ...inner.slice(1));
      } else out.push(`${pad}- ${yamlScalar(item)}`);
    }
    return out;
  }
  for (const [k, val] of Object.entries(v as Obj)) {
    if (flowKeys.has(k) || (!isObj(val) && !Array.isArray(val)) || (Array.isArray(val) && val.every((x) => !isObj(x)) && k === 'tags')) {
      out.push(`${pad}${yamlKey(k)}: ${flowKeys.has(k) || Array.isArray(val) ? JSON.stringify(val) : yamlScalar(val)}`);
    } else if ((isObj(val) && Object.keys(val).length === 0) || (Array.isArray(val) && val.length === 0)) {
      out.push(`${pad}${yamlKey(k)}: ${JSON.stringify(val)}`);
    } else {
      out.push(`${pad}${yamlKey(k)}:`, ...yamlLines(val, indent + 2, flowKeys));
    }
  }
  return out;
}

const FLOW = new Set(['schema', 'example']);

interface Located {
  lines: string[];
  paths: number; // line index of "paths:", -1 when none
  path: number; // line index of the path key, -1 when none
  op: number; // line index of the method key, -1 when none
}

function locate(text: string, path: string, method: string): Located {
  const lines = text.split('\n');
  const tree = parseYAML(text);
  const pathsNode = child(tree.root, 'paths');
  const pathNode = child(pathsNode, path);
  const opNode = child(pathNode, method);
  return { lines, paths: pathsNode ? pathsNode.line - 1 : -1, path: pathNode ? pathNode.line - 1 : -1, op: opNode ? opNode.line - 1 : -1 };
}

function childIndent(lines: string[], i: number, fallback: number): number {
  const end = blockEnd(lines, i);
  for (let j = i + 1; j < end; j++) if (!blank(lines[j] as string)) return indentOf(lines[j] as string);
  return fallback;
}

function yamlRead(text: string, path: string, method: string): Operation {
  const tree = parseYAML(text);
  const n = child(child(child(tree.root, 'paths'), path), method);
  if (!n) throw noOp(method, path);
  return fromValue(path, method, (nodeValue(n, text.split('\n')) as Obj) ?? {});
}

function yamlDelete(text: string, path: string, method: string): string {
  const at = locate(text, path, method);
  if (at.op < 0) throw noOp(method, path);
  const lines = at.lines;
  lines.splice(at.op, blockEnd(lines, at.op) - at.op);
  // A path left without operations goes too.
  if (childIndent(lines, at.path, -1) < 0) lines.splice(at.path, blockEnd(lines, at.path) - at.path);
  return lines.join('\n');
}

function yamlInsert(text: string, op: Operation): string {
  const at = locate(text, op.path, op.method);
  const lines = at.lines;
  if (at.paths < 0) {
    while (lines.length && (lines[lines.length - 1] as string).trim() === '') lines.pop();
    lines.push('paths:', `  ${yamlKey(op.path)}:`, `    ${op.method}:`, ...yamlLines(toValue(op), 6, FLOW), '');
    return lines.join('\n');
  }
  const pathIndent = childIndent(lines, at.paths, indentOf(lines[at.paths] as string) + 2);
  const step = Math.max(2, pathIndent - indentOf(lines[at.paths] as string));
  if (at.path < 0) {
    const end = blockEnd(lines, at.paths);
    lines.splice(end, 0, `${' '.repeat(pathIndent)}${yamlKey(op.path)}:`, `${' '.repeat(pathIndent + step)}${op.method}:`, ...yamlLines(toValue(op), pathIndent + 2 * step, FLOW));
    return lines.join('\n');
  }
  const opIndent = childIndent(lines, at.path, pathIndent + step);
  const end = blockEnd(lines, at.path);
  lines.splice(end, 0, `${' '.repeat(opIndent)}${op.method}:`, ...yamlLines(toValue(op), opIndent + step, FLOW));
  return lines.join('\n');
}

function yamlReplace(text: string, op: Operation): string {
  const at = locate(text, op.path, op.method);
  const lines = at.lines;
  const ind = indentOf(lines[at.op] as string);
  const step = Math.max(2, childIndent(lines, at.op, ind + 2) - ind);
  lines.splice(at.op, blockEnd(lines, at.op) - at.op, `${' '.repeat(ind)}${op.method}:`, ...yamlLines(toValue(op), ind + step, FLOW));
  return lines.join('\n');
}

// ---------------------------------------------------------------------------
// The three calls

function jsonDoc(text: string): Obj {
  const v: unknown = JSON.parse(text);
  if (!isObj(v)) throw new Error('the document is not an OpenAPI object');
  return v;
}

export function readOperation(text: string, path: string, method: string): Operation {
  method = method.toLowerCase();
  if (isJSON(text)) {
    const v = (jsonDoc(text).paths as Obj | undefined)?.[path] as Obj | undefined;
    const o = v?.[method];
    if (!isObj(o)) throw noOp(method, path);
    return fromValue(path, method, o);
  }
  return yamlRead(text, path, method);
}

export function deleteOperation(text: string, path: string, method: string): string {
  method = method.toLowerCase();
  if (isJSON(text)) {
    const doc = jsonDoc(text);
    const item = (doc.paths as Obj | undefined)?.[path] as Obj | undefined;
    if (!isObj(item?.[method])) throw noOp(method, path);
    delete (item as Obj)[method];
    if (!Object.keys(item as Obj).some((k) => METHODS.includes(k))) delete (doc.paths as Obj)[path];
    return `${JSON.stringify(doc, null, 2)}\n`;
  }
  return yamlDelete(text, path, method);
}

function exists(text: string, path: string, method: string): boolean {
  try {
    readOperation(text, path, method);
    return true;
  } catch {
    return false;
  }
}

export function writeOperation(text: string, from: OperationKey | null, input: Operation): string {
  const op = { ...input, method: input.method.toLowerCase() };
  validateOperation(op);
  if (from && !exists(text, from.path, from.method)) throw noOp(from.method, from.path);
  const same = from && from.path === op.path && from.method.toLowerCase() === op.method;
  if (!same && exists(text, op.path, op.method)) throw new FieldError('method', `${op.method.toUpperCase()} ${op.path} exists already`);
  if (isJSON(text)) {
    const doc = same ? jsonDoc(text) : jsonDoc(from ? deleteOperation(text, from.path, from.method) : text);
    const paths = (isObj(doc.paths) ? doc.paths : (doc.paths = {})) as Obj;
    const item = (isObj(paths[op.path]) ? paths[op.path] : (paths[op.path] = {})) as Obj;
    item[op.method] = toValue(op);
    return `${JSON.stringify(doc, null, 2)}\n`;
  }
  if (same) return yamlReplace(text, op);
  return yamlInsert(from ? yamlDelete(text, from.path, from.method) : text, op);
}
