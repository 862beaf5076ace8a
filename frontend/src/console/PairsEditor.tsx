import type { Pair } from '../api';

export interface PairsEditorProps {
  /** What the pairs are ("Headers", "Query"), used in every control's name. */
  label: string;
  pairs: Pair[];
  onChange(pairs: Pair[]): void;
}

/** Rows of name/value inputs with add and remove buttons; each control is named after its row. */
export function PairsEditor({ label, pairs, onChange }: PairsEditorProps) {
  const singular = label.replace(/s$/, '').toLowerCase();
  const set = (i: number, p: Partial<Pair>) => onChange(pairs.map((x, j) => (j === i ? { ...x, ...p } : x)));
  return (
    <fieldset className="pairs">
      <legend className="field-label">{label}</legend>
      {pairs.length === 0 && <p className="muted small">No {label.toLowerCase()}.</p>}
      {pairs.map((p, i) => (
        <div className="pair-row" key={i}>
          <input aria-label={`${label} ${i + 1} name`} placeholder="Name" value={p.name} onChange={(e) => set(i, { name: e.target.value })} spellCheck={false} />
          <input aria-label={`${label} ${i + 1} value`} placeholder="Value ({{variables}} allowed)" value={p.value} onChange={(e) => set(i, { value: e.target.value })} spellCheck={false} />
          <button type="button" className="btn btn-small" aria-label={`Remove ${singular} ${p.name || i + 1}`} onClick={() => onChange(pairs.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      <button type="button" className="btn btn-small" onClick={() => onChange([...pairs, { name: '', value: '' }])}>
        Add {singular}
      </button>
    </fieldset>
  );
}
