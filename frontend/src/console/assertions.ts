// Editing a saved request's assertions: each Assertion (core/suite) as a flat draft a form
// row can hold, and back, with the same rules the request file parser applies.

import type { Assertion, SendResult } from '../api';

export type AssertionKind = 'status' | 'header' | 'jsonPointer' | 'schemaValid' | 'maxDurationMs';
export type Comparison = 'exists' | 'absent' | 'equals' | 'matches';

export const ASSERTION_KINDS: { kind: AssertionKind; label: string }[] = [
  { kind: 'status', label: 'Status' },
  { kind: 'jsonPointer', label: 'JSON pointer' },
  { kind: 'header', label: 'Header' },
  { kind: 'schemaValid', label: 'Matches the spec' },
  { kind: 'maxDurationMs', label: 'Duration at most (ms)' },
];

/** One assertion as a form row holds it. */
export interface AssertionDraft {
  kind: AssertionKind;
  /** The status ("201", "2xx"), header name, JSON pointer, or milliseconds. */
  subject: string;
  comparison: Comparison;
  /** What equals/matches compares with (JSON text or plain text for equals). */
  value: string;
}

export function kindOf(a: Assertion): AssertionKind | '' {
  if (a.status !== undefined && a.status !== '') return 'status';
  if (a.header) return 'header';
  if (a.jsonPointer !== undefined) return 'jsonPointer';
  if (a.schemaValid) return 'schemaValid';
  if (a.maxDurationMs) return 'maxDurationMs';
  return '';
}

export function toDraft(a: Assertion): AssertionDraft {
  const kind = kindOf(a) || 'status';
  const subject = kind === 'status' ? (a.status ?? '') : kind === 'header' ? (a.header ?? '') : kind === 'jsonPointer' ? (a.jsonPointer ?? '') : kind === 'maxDurationMs' ? String(a.maxDurationMs ?? '') : '';
  let comparison: Comparison = 'exists';
  let value = '';
  if (a.equals !== undefined) {
    comparison = 'equals';
    value = typeof a.equals === 'string' ? a.equals : JSON.stringify(a.equals);
  } else if (a.matches) {
    comparison = 'matches';
    value = a.matches;
  } else if (a.exists === false) comparison = 'absent';
  return { kind, subject, comparison, value };
}

/** The value of an equals: JSON when the text is JSON (a number, true, an object), else the text itself. */
export function equalsValue(text: string): unknown {
  const t = text.trim();
  if (t === '') return '';
  try {
    return JSON.parse(t);
  } catch {
    return text;
  }
}

/** The assertion a draft makes, or why it can't be made. */
export function fromDraft(d: AssertionDraft): { assertion?: Assertion; error?: string } {
  const s = d.subject.trim();
  switch (d.kind) {
    case 'status':
      if (!/^[1-5](\d\d|xx|XX)$/.test(s)) return { error: `"${s}" is not a status code (201) or class (2xx)` };
      return { assertion: { status: s.toLowerCase() } };
    case 'schemaValid':
      return { assertion: { schemaValid: true } };
    case 'maxDurationMs': {
      const n = Number(s);
      if (!Number.isInteger(n) || n <= 0) return { error: 'give a number of milliseconds above 0' };
      return { assertion: { maxDurationMs: n } };
    }
    case 'header':
    case 'jsonPointer': {
      if (d.kind === 'header' && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(s)) return { error: 'give a header name' };
      if (d.kind === 'jsonPointer' && s !== '' && !s.startsWith('/')) return { error: 'a JSON pointer starts with "/" (or is empty for the whole body)' };
      const a: Assertion = d.kind === 'header' ? { header: s } : { jsonPointer: s };
      if (d.comparison === 'equals') a.equals = equalsValue(d.value);
      else if (d.comparison === 'matches') {
        try {
          new RegExp(d.value);
        } catch {
          return { error: `"${d.value}" is not a regular expression` };
        }
        if (d.value === '') return { error: 'give a regular expression' };
        a.matches = d.value;
      } else if (d.comparison === 'absent') a.exists = false;
      else a.exists = true;
      return { assertion: a };
    }
  }
}

/** The assertion in words, as results show it. */
export function describe(a: Assertion): string {
  const d = toDraft(a);
  switch (d.kind) {
    case 'status':
      return `status ${d.subject}`;
    case 'schemaValid':
      return 'matches the spec';
    case 'maxDurationMs':
      return `takes at most ${d.subject} ms`;
    default: {
      const subject = d.kind === 'header' ? `header ${d.subject}` : `body ${d.subject || '(whole)'}`;
      if (d.comparison === 'equals') return `${subject} equals ${d.value}`;
      if (d.comparison === 'matches') return `${subject} matches ${d.value}`;
      return d.comparison === 'absent' ? `${subject} is absent` : `${subject} exists`;
    }
  }
}

/** Assertions to start a saved request with, from the answer just seen: its status, and that it keeps the spec. */
export function suggestedAssertions(res: SendResult | null): Assertion[] {
  if (!res) return [{ status: '2xx' }];
  const out: Assertion[] = [{ status: String(res.status) }];
  if (res.operation) out.push({ schemaValid: true });
  return out;
}
