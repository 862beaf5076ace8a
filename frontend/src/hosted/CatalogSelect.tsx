import { useId } from 'react';
import type { HostedCatalog } from '../api';

/** A labelled choice of one of the server's catalogs. */
export function CatalogSelect({ label, catalogs, value, onChange }: { label: string; catalogs: HostedCatalog[]; value: string; onChange(name: string): void }) {
  const id = useId();
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      <select id={id} className="input" value={value} onChange={(e) => onChange(e.target.value)}>
        {catalogs.map((c) => (
          <option key={c.name} value={c.name}>
            {c.name}
          </option>
        ))}
      </select>
    </div>
  );
}
