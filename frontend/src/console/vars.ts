// {{variable}} references in console requests: which ones a request uses, which the
// active environment lacks, and what a text looks like with them filled in (for previews;
// the Go side does the real substitution when it sends).

import type { ConsoleRequest } from '../api';

const REF = /\{\{\s*([^{}\s]+)\s*\}\}/g;

/** Variables every send sets itself ({{baseUrl}} is the target). */
export const IMPLICIT_VARIABLES = ['baseUrl'];

/** The names referenced in s, in order of first use, built-ins ($uuid, ...) left out. */
export function variablesIn(s: string): string[] {
  const out: string[] = [];
  for (const m of s.matchAll(REF)) {
    const name = m[1] ?? '';
    if (!name.startsWith('$') && !out.includes(name)) out.push(name);
  }
  return out;
}

/** s with every {{name}} that vars defines replaced; missing lists the others. */
export function substitute(s: string, vars: Record<string, string>): { text: string; missing: string[] } {
  const missing: string[] = [];
  const text = s.replace(REF, (whole, name: string) => {
    if (Object.hasOwn(vars, name)) return vars[name] ?? '';
    if (!name.startsWith('$') && !missing.includes(name)) missing.push(name);
    return whole;
  });
  return { text, missing };
}

/** Every variable a request uses: URL, header and query values, body, assertion values. */
export function requestVariables(r: ConsoleRequest): string[] {
  const parts = [r.url, r.body, ...r.headers.map((h) => h.value), ...r.query.map((q) => q.value)];
  for (const a of r.assert) {
    if (typeof a.equals === 'string') parts.push(a.equals);
    if (a.matches) parts.push(a.matches);
  }
  const out: string[] = [];
  for (const p of parts) for (const v of variablesIn(p)) if (!out.includes(v)) out.push(v);
  return out;
}

/** The variables a request uses that neither the environment nor the send itself sets. */
export function missingVariables(r: ConsoleRequest, env: Record<string, string>): string[] {
  return requestVariables(r).filter((v) => !Object.hasOwn(env, v) && !IMPLICIT_VARIABLES.includes(v));
}

/** A variable name the Go side accepts: a letter or '_', then letters, digits, '_', '-' and '.'. */
export function validVariableName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name);
}
