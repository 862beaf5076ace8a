// A small, forgiving reader of YAML and JSON specs for the fake backend: it
// builds a tree of keys with their lines and reports the syntax errors a real
// parser would (tabs, unclosed quotes or brackets, duplicate keys, bad JSON).
// It is not a YAML implementation; it only has to make the fake feel real.

import type { Diagnostic } from '../api';

export interface Node {
  /** Mapping key; "" for list items and the root. */
  key: string;
  /** Scalar value ("" when the node has children). */
  value: string;
  line: number;
  column: number;
  indent: number;
  list: boolean;
  children: Node[];
}

export interface Tree {
  root: Node;
  errors: Diagnostic[];
}

export function diag(
  severity: Diagnostic['severity'],
  source: Diagnostic['source'],
  rule: string,
  message: string,
  line: number,
  column: number,
  extra: Partial<Diagnostic> = {},
): Diagnostic {
  return { severity, source, rule, message, file: '', line, column, endLine: 0, endColumn: 0, pointer: '', ...extra };
}

function node(key: string, value: string, line: number, column: number, indent: number, list = false): Node {
  return { key, value, line, column, indent, list, children: [] };
}

export function child(n: Node | undefined, key: string): Node | undefined {
  return n?.children.find((c) => !c.list && c.key === key);
}

// ---------------------------------------------------------------------------
// YAML

const KEY = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{[\]},&*!|>%@`-][^#]*?|-[^\s#][^#]*?)\s*:(?:\s+(.*))?$/;

function unquote(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/\\"/g, '"');
  if (t.length >= 2 && t.startsWith("'") && t.endsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
  return t;
}

/** The line without a trailing comment (a # after whitespace, outside quotes). */
function stripComment(s: string): string {
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      if (i === 0 || /[\s:[{,-]/.test(s[i - 1] ?? '')) quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(s[i - 1] ?? ''))) {
      return s.slice(0, i).trimEnd();
    }
  }
  return s.trimEnd();
}

/** Syntax errors inside one scalar or flow value, or null. */
function checkValue(v: string): string | null {
  const t = v.trim();
  if (!t) return null;
  if (t.startsWith('"')) {
    let i = 1;
    for (; i < t.length; i++) {
      if (t[i] === '\\') i++;
      else if (t[i] === '"') break;
    }
    if (i >= t.length) return 'found unexpected end of line while scanning a quoted scalar';
    return null;
  }
  if (t.startsWith("'")) {
    const body = t.slice(1).replace(/''/g, '');
    if (!body.includes("'")) return 'found unexpected end of line while scanning a quoted scalar';
    return null;
  }
  if (t.startsWith('[') || t.startsWith('{')) {
    const stack: string[] = [];
    let quote = '';
    for (let i = 0; i < t.length; i++) {
      const c = t[i] as string;
      if (quote) {
        if (c === quote) quote = '';
        continue;
      }
      if (c === '"' || c === "'") quote = c;
      else if (c === '[' || c === '{') stack.push(c);
      else if (c === ']' || c === '}') {
        const open = stack.pop();
        if ((c === ']' && open !== '[') || (c === '}' && open !== '{')) return `did not find expected ',' or '${open === '[' ? ']' : '}'}'`;
      }
    }
    if (stack.length) return `did not find expected ',' or '${stack[stack.length - 1] === '[' ? ']' : '}'}'`;
  }
  return null;
}

export function parseYAML(text: string): Tree {
  const lines = text.split(/\r?\n/);
  const root = node('', '', 0, 0, -1);
  const stack: Node[] = [root];
  const errors: Diagnostic[] = [];
  const top = () => stack[stack.length - 1] as Node;

  const place = (n: Node) => {
    // A list may sit at the same indent as the key that owns it ("required:\n- id").
    while (stack.length > 1) {
      const t = top();
      if (t.indent < n.indent) break;
      if (n.list && t.indent === n.indent && !t.list && t.value === '' && t.children.every((c) => c.list)) break;
      stack.pop();
    }
    const parent = top();
    if (!n.list) {
      const dup = parent.children.find((c) => !c.list && c.key === n.key);
      if (dup) {
        errors.push(diag('error', 'parser', 'yaml-duplicate-key', `mapping key "${n.key}" already defined at line ${dup.line}`, n.line, n.column, { endLine: n.line, endColumn: n.column + n.key.length }));
      }
    }
    parent.children.push(n);
    stack.push(n);
  };

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const lineNo = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed === '---' || trimmed === '...') continue;
    const leading = /^[ \t]*/.exec(raw)?.[0] ?? '';
    if (leading.includes('\t')) {
      const col = leading.indexOf('\t') + 1;
      errors.push(diag('error', 'parser', 'yaml-syntax', 'found a tab character where an indentation space is expected', lineNo, col, { endLine: lineNo, endColumn: col + 1 }));
      continue;
    }
    let indent = leading.length;
    let content = stripComment(raw.slice(indent));
    let listNode: Node | null = null;
    while (content === '-' || content.startsWith('- ')) {
      listNode = node('', '', lineNo, indent + 1, indent, true);
      place(listNode);
      const after = content.slice(1);
      const pad = after.length - after.trimStart().length;
      indent += 1 + pad;
      content = after.trimStart();
    }
    if (content === '') continue;

    const m = KEY.exec(content);
    if (m) {
      const key = unquote(m[1] as string);
      const rest = (m[2] ?? '').trim();
      const n = node(key, '', lineNo, indent + 1, indent);
      place(n);
      if (/^[|>][-+0-9]*$/.test(rest)) {
        const body: string[] = [];
        let j = i + 1;
        let blockIndent = -1;
        for (; j < lines.length; j++) {
          const l = lines[j] as string;
          if (l.trim() === '') {
            body.push('');
            continue;
          }
          const ind = l.length - l.trimStart().length;
          if (ind <= indent) break;
          if (blockIndent < 0) blockIndent = ind;
          body.push(l.slice(Math.min(blockIndent, ind)));
        }
        while (body.length && body[body.length - 1] === '') body.pop();
        n.value = rest.startsWith('>') ? body.join('\n').replace(/([^\n])\n(?=[^\n])/g, '$1 ') : body.join('\n');
        i = j - 1;
        continue;
      }
      const err = checkValue(rest);
      if (err) {
        const col = indent + 1 + content.indexOf(rest);
        errors.push(diag('error', 'parser', 'yaml-syntax', err, lineNo, col, { endLine: lineNo, endColumn: col + rest.length }));
      }
      n.value = unquote(rest);
      continue;
    }

    const err = checkValue(content);
    if (err) errors.push(diag('error', 'parser', 'yaml-syntax', err, lineNo, indent + 1, { endLine: lineNo, endColumn: indent + 1 + content.length }));
    if (listNode) {
      listNode.value = unquote(content);
    } else {
      // A plain scalar running on from the line before.
      const t = top();
      if (t !== root && t.value && indent > t.indent) t.value += ` ${content.trim()}`;
      else if (content.trim()) {
        errors.push(diag('error', 'parser', 'yaml-syntax', "could not find expected ':'", lineNo, indent + 1, { endLine: lineNo, endColumn: indent + 1 + content.length }));
      }
    }
  }
  return { root, errors };
}

// ---------------------------------------------------------------------------
// JSON: a recursive-descent reader that keeps positions.

class JSONReader {
  pos = 0;
  line = 1;
  col = 1;
  constructor(private readonly s: string) {}

  fail(msg: string): never {
    throw Object.assign(new Error(msg), { line: this.line, column: this.col });
  }

  private peek(): string {
    return this.s[this.pos] ?? '';
  }

  private next(): string {
    const c = this.s[this.pos++] ?? '';
    if (c === '\n') {
      this.line++;
      this.col = 1;
    } else this.col++;
    return c;
  }

  ws(): void {
    while (/\s/.test(this.peek()) && this.pos < this.s.length) this.next();
  }

  private expect(c: string): void {
    this.ws();
    if (this.peek() !== c) this.fail(this.pos >= this.s.length ? `unexpected end of JSON, expected '${c}'` : `expected '${c}' but found '${this.peek()}'`);
    this.next();
  }

  private string(): string {
    this.expect('"');
    let out = '';
    for (;;) {
      if (this.pos >= this.s.length) this.fail('unterminated string');
      const c = this.next();
      if (c === '"') return out;
      if (c === '\n') this.fail('unterminated string');
      if (c === '\\') out += this.next();
      else out += c;
    }
  }

  value(n: Node): void {
    this.ws();
    const c = this.peek();
    if (c === '{') {
      this.next();
      this.ws();
      if (this.peek() === '}') {
        this.next();
        return;
      }
      for (;;) {
        this.ws();
        const line = this.line;
        const col = this.col;
        if (this.peek() !== '"') this.fail(this.pos >= this.s.length ? 'unexpected end of JSON' : `expected a property name but found '${this.peek()}'`);
        const key = this.string();
        const k = node(key, '', line, col, n.indent + 1);
        if (child(n, key)) this.dupes.push(diag('error', 'parser', 'json-duplicate-key', `duplicate key "${key}"`, line, col, { endLine: line, endColumn: col + key.length + 2 }));
        n.children.push(k);
        this.expect(':');
        this.value(k);
        this.ws();
        if (this.peek() === ',') {
          this.next();
          continue;
        }
        this.expect('}');
        return;
      }
    }
    if (c === '[') {
      this.next();
      this.ws();
      if (this.peek() === ']') {
        this.next();
        return;
      }
      for (;;) {
        this.ws();
        const item = node('', '', this.line, this.col, n.indent + 1, true);
        n.children.push(item);
        this.value(item);
        this.ws();
        if (this.peek() === ',') {
          this.next();
          continue;
        }
        this.expect(']');
        return;
      }
    }
    if (c === '"') {
      n.value = this.string();
      return;
    }
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(this.s.slice(this.pos, this.pos + 64));
    if (!m) this.fail(this.pos >= this.s.length ? 'unexpected end of JSON' : `unexpected character '${c}'`);
    for (let i = 0; i < m[0].length; i++) this.next();
    n.value = m[0];
  }

  dupes: Diagnostic[] = [];
}

export function parseJSON(text: string): Tree {
  const root = node('', '', 0, 0, -1);
  const r = new JSONReader(text);
  try {
    r.value(root);
    r.ws();
    if (r.pos < text.length) r.fail('unexpected text after the end of the JSON value');
  } catch (e) {
    const at = e as Error & { line?: number; column?: number };
    const line = at.line ?? 1;
    const column = at.column ?? 1;
    return { root, errors: [...r.dupes, diag('error', 'parser', 'json-syntax', at.message, line, column, { endLine: line, endColumn: column + 1 })] };
  }
  return { root, errors: r.dupes };
}

export function parseSpecText(text: string): Tree {
  return text.trimStart().startsWith('{') ? parseJSON(text) : parseYAML(text);
}
