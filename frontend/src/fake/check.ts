// The fake backend's Check: syntax errors from tree.ts plus a handful of
// lint rules named like the Go side's Spectral-style ruleset.

import type { CheckResult, Diagnostic, OutlineItem } from '../api';
import { child, diag, parseSpecText, type Node } from './tree';

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export interface SpecInfo {
  title: string;
  version: string;
  description: string;
}

export interface Analysis extends CheckResult {
  info: SpecInfo;
  root: Node;
  /** Parser errors make a spec unusable: Save refuses it. */
  usable: boolean;
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function walk(n: Node, f: (n: Node) => void): void {
  f(n);
  for (const c of n.children) walk(c, f);
}

/** Resolves a local "#/a/b" reference against the tree. */
function resolves(root: Node, ref: string): boolean {
  if (!ref.startsWith('#/')) return true;
  let cur: Node | undefined = root;
  for (const part of ref.slice(2).split('/')) {
    cur = child(cur, part.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (!cur) return false;
  }
  return true;
}

export function analyze(text: string, file: string): Analysis {
  const { root, errors } = parseSpecText(text);
  const diagnostics: Diagnostic[] = errors.map((d) => ({ ...d, file }));
  const outline: OutlineItem[] = [];
  const add = (d: Diagnostic) => diagnostics.push({ ...d, file });

  const infoNode = child(root, 'info');
  const info: SpecInfo = {
    title: child(infoNode, 'title')?.value ?? '',
    version: child(infoNode, 'version')?.value ?? '',
    description: child(infoNode, 'description')?.value ?? '',
  };

  const usable = errors.length === 0;
  if (usable) {
    const version = child(root, 'openapi') ?? child(root, 'swagger');
    if (!version) add(diag('error', 'parser', 'oas-version', 'not an OpenAPI document: it has no "openapi" (or "swagger") field', 1, 1, { pointer: '' }));
    if (!infoNode) add(diag('error', 'lint', 'info-object', 'the document has no "info" object; add info.title and info.version', version?.line ?? 1, 1));
    else {
      if (!info.title) add(diag('error', 'lint', 'info-title', 'info.title is required', infoNode.line, infoNode.column, { pointer: '/info' }));
      if (!info.description) add(diag('warning', 'lint', 'info-description', 'info should have a non-empty description', infoNode.line, infoNode.column, { pointer: '/info' }));
      if (!child(infoNode, 'contact')) add(diag('warning', 'lint', 'info-contact', 'info should have a contact object', infoNode.line, infoNode.column, { pointer: '/info' }));
    }
  }

  const ids = new Map<string, Node>();
  for (const p of child(root, 'paths')?.children ?? []) {
    if (p.list) continue;
    const ptr = `/paths/${escapePointer(p.key)}`;
    const keyEnd = { endLine: p.line, endColumn: p.column + p.key.length };
    if (!p.key.startsWith('/')) add(diag('error', 'lint', 'path-keys-leading-slash', `path "${p.key}" must start with "/"`, p.line, p.column, { ...keyEnd, pointer: ptr }));
    else if (p.key.length > 1 && p.key.endsWith('/')) add(diag('warning', 'lint', 'path-keys-no-trailing-slash', `path "${p.key}" should not end with a slash`, p.line, p.column, { ...keyEnd, pointer: ptr }));
    if (p.key.includes('?')) add(diag('warning', 'lint', 'path-not-include-query', 'paths should not include a query string', p.line, p.column, { ...keyEnd, pointer: ptr }));
    for (const op of p.children) {
      if (!HTTP_METHODS.includes(op.key)) continue;
      const opPtr = `${ptr}/${op.key}`;
      const opId = child(op, 'operationId');
      const summary = child(op, 'summary')?.value ?? '';
      outline.push({ path: p.key, method: op.key.toUpperCase(), operationId: opId?.value ?? '', summary, line: op.line });
      const at = { endLine: op.line, endColumn: op.column + op.key.length, pointer: opPtr };
      if (!opId?.value) add(diag('warning', 'lint', 'operation-operationId', `${op.key.toUpperCase()} ${p.key} should have an operationId`, op.line, op.column, at));
      else {
        const prev = ids.get(opId.value);
        if (prev) add(diag('error', 'lint', 'operation-operationId-unique', `operationId "${opId.value}" is already used at line ${prev.line}`, opId.line, opId.column, { endLine: opId.line, endColumn: opId.column + 'operationId'.length, pointer: `${opPtr}/operationId` }));
        else ids.set(opId.value, opId);
      }
      if (!summary && !child(op, 'description')?.value) add(diag('info', 'lint', 'operation-description', `${op.key.toUpperCase()} ${p.key} has no summary or description`, op.line, op.column, at));
      const responses = child(op, 'responses');
      if (!responses) add(diag('error', 'lint', 'operation-responses', `${op.key.toUpperCase()} ${p.key} has no responses`, op.line, op.column, at));
      else if (!responses.children.some((r) => /^[23]/.test(r.key))) add(diag('warning', 'lint', 'operation-success-response', 'operation should have at least one 2xx or 3xx response', responses.line, responses.column, { pointer: `${opPtr}/responses` }));
      for (const param of child(op, 'parameters')?.children ?? []) {
        if (child(param, 'in')?.value === 'path' && !p.key.includes(`{${child(param, 'name')?.value ?? ''}}`)) {
          add(diag('error', 'lint', 'path-params', `path parameter "${child(param, 'name')?.value ?? ''}" does not appear in ${p.key}`, param.line, param.column, { pointer: `${opPtr}/parameters` }));
        }
      }
    }
  }

  walk(root, (n) => {
    if (n.key === '$ref' && n.value && !resolves(root, n.value)) {
      add(diag('error', 'parser', 'unresolved-ref', `cannot resolve reference "${n.value}"`, n.line, n.column, { endLine: n.line, endColumn: n.column + n.key.length + n.value.length + 4 }));
    }
  });

  const rank = { error: 0, warning: 1, info: 2, hint: 3 } as const;
  diagnostics.sort((a, b) => a.line - b.line || rank[a.severity] - rank[b.severity]);
  return { diagnostics, outline, info, root, usable: usable && !diagnostics.some((d) => d.source === 'parser' && d.severity === 'error') };
}
