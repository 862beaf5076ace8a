import type { Assertion } from '../api';
import { ASSERTION_KINDS, fromDraft, toDraft, type AssertionDraft, type Comparison } from './assertions';

export interface AssertionsEditorProps {
  drafts: AssertionDraft[];
  onChange(drafts: AssertionDraft[]): void;
}

/** The drafts that make valid assertions, or the first problem (with its row, 1-based). */
export function assertionsOf(drafts: AssertionDraft[]): { assertions: Assertion[]; error: string } {
  const out: Assertion[] = [];
  for (const [i, d] of drafts.entries()) {
    const r = fromDraft(d);
    if (r.error) return { assertions: [], error: `Assertion ${i + 1}: ${r.error}` };
    if (r.assertion) out.push(r.assertion);
  }
  return { assertions: out, error: '' };
}

export const draftsOf = (as: Assertion[]): AssertionDraft[] => as.map(toDraft);

const SUBJECT: Record<string, string> = { status: 'Status', header: 'Header name', jsonPointer: 'JSON pointer', maxDurationMs: 'Milliseconds' };

/** One row per assertion: its kind, what it looks at, and how it compares. */
export function AssertionsEditor({ drafts, onChange }: AssertionsEditorProps) {
  const set = (i: number, d: Partial<AssertionDraft>) => onChange(drafts.map((x, j) => (j === i ? { ...x, ...d } : x)));
  return (
    <fieldset className="assertions">
      <legend className="field-label">Assertions</legend>
      {drafts.length === 0 && <p className="muted small">No assertions: the request passes when its status is below 400.</p>}
      <ol className="assertion-list">
        {drafts.map((d, i) => {
          const n = i + 1;
          const err = fromDraft(d).error ?? '';
          const compares = d.kind === 'header' || d.kind === 'jsonPointer';
          return (
            <li key={i} className="assertion-row">
              <select aria-label={`Assertion ${n} kind`} value={d.kind} onChange={(e) => set(i, { kind: e.target.value as AssertionDraft['kind'] })}>
                {ASSERTION_KINDS.map((k) => (
                  <option key={k.kind} value={k.kind}>
                    {k.label}
                  </option>
                ))}
              </select>
              {d.kind !== 'schemaValid' && (
                <input
                  aria-label={`Assertion ${n} ${SUBJECT[d.kind]?.toLowerCase() ?? 'subject'}`}
                  placeholder={d.kind === 'status' ? '200 or 2xx' : d.kind === 'jsonPointer' ? '/id' : d.kind === 'header' ? 'Content-Type' : '500'}
                  value={d.subject}
                  aria-invalid={err !== ''}
                  onChange={(e) => set(i, { subject: e.target.value })}
                  spellCheck={false}
                />
              )}
              {compares && (
                <select aria-label={`Assertion ${n} comparison`} value={d.comparison} onChange={(e) => set(i, { comparison: e.target.value as Comparison })}>
                  <option value="exists">exists</option>
                  <option value="absent">is absent</option>
                  <option value="equals">equals</option>
                  <option value="matches">matches</option>
                </select>
              )}
              {compares && (d.comparison === 'equals' || d.comparison === 'matches') && (
                <input
                  aria-label={`Assertion ${n} ${d.comparison === 'equals' ? 'expected value' : 'pattern'}`}
                  placeholder={d.comparison === 'equals' ? 'JSON value or text' : 'regular expression'}
                  value={d.value}
                  onChange={(e) => set(i, { value: e.target.value })}
                  spellCheck={false}
                />
              )}
              <button type="button" className="btn btn-small" aria-label={`Remove assertion ${n}`} onClick={() => onChange(drafts.filter((_, j) => j !== i))}>
                ×
              </button>
              {err && (
                <span className="field-error" role="alert">
                  {err}
                </span>
              )}
            </li>
          );
        })}
      </ol>
      <button type="button" className="btn btn-small" onClick={() => onChange([...drafts, { kind: 'status', subject: '200', comparison: 'exists', value: '' }])}>
        Add assertion
      </button>
    </fieldset>
  );
}
