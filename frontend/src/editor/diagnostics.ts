// Maps Go diagnostics (1-based line/column, 0 = unknown) onto CodeMirror
// document offsets, and orders them for the Problems list.

import type { Diagnostic as LintDiagnostic } from '@codemirror/lint';
import type { Text } from '@codemirror/state';
import type { Diagnostic, Severity } from '../api';

export interface Range {
  from: number;
  to: number;
}

const TOKEN = /^[^\s:,[\]{}]+/;

/** The document range a diagnostic points at, clamped to the document. Unknown positions mark the first line. */
export function diagnosticRange(d: Pick<Diagnostic, 'line' | 'column' | 'endLine' | 'endColumn'>, doc: Text): Range {
  if (doc.length === 0) return { from: 0, to: 0 };
  const lineNo = Math.min(Math.max(1, d.line || 1), doc.lines);
  const line = doc.line(lineNo);
  if (!d.line || !d.column) {
    // The whole line, without its indentation.
    const indent = line.text.length - line.text.trimStart().length;
    return { from: line.from + indent, to: line.to };
  }
  const from = line.from + Math.min(d.column - 1, line.length);
  let to = from;
  if (d.endLine >= lineNo && d.endLine > 0) {
    const end = doc.line(Math.min(d.endLine, doc.lines));
    to = end.from + Math.min(Math.max(0, (d.endColumn || 1) - 1), end.length);
  }
  if (to <= from) {
    const rest = doc.sliceString(from, line.to);
    const tok = TOKEN.exec(rest);
    to = tok ? from + tok[0].length : line.to;
  }
  return { from, to: Math.max(from, to) };
}

/** Whether a diagnostic belongs to the editor's file (and not to a file it references). */
export function inFile(d: Diagnostic, root: string): boolean {
  if (!d.file || !root) return true;
  if (d.file === root) return true;
  const base = (p: string) => p.split(/[\\/]/).pop() ?? p;
  return base(d.file) === base(root) && !d.file.includes('#');
}

/** CodeMirror lint diagnostics for the ones that belong to this file. */
export function toLintDiagnostics(diags: readonly Diagnostic[], doc: Text, root: string): LintDiagnostic[] {
  const out: LintDiagnostic[] = [];
  for (const d of diags) {
    if (!inFile(d, root)) continue;
    const { from, to } = diagnosticRange(d, doc);
    out.push({
      from,
      to,
      severity: d.severity,
      message: d.message,
      source: d.rule ? `${d.source} · ${d.rule}` : d.source,
    });
  }
  return out;
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2, hint: 3 };

/** Problems list order: this file first, then by severity, then by position. */
export function sortDiagnostics(diags: readonly Diagnostic[], root: string): Diagnostic[] {
  return [...diags].sort(
    (a, b) =>
      Number(!inFile(a, root)) - Number(!inFile(b, root)) ||
      a.file.localeCompare(b.file) ||
      RANK[a.severity] - RANK[b.severity] ||
      a.line - b.line ||
      a.column - b.column,
  );
}

export interface Counts {
  error: number;
  warning: number;
  info: number;
  hint: number;
}

export function countBySeverity(diags: readonly Diagnostic[]): Counts {
  const c: Counts = { error: 0, warning: 0, info: 0, hint: 0 };
  for (const d of diags) c[d.severity]++;
  return c;
}
