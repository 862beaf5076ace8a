import { useCallback, useEffect, useId, useState } from 'react';
import type { APIPolicies, APISummary, Consumer, NewKey, PolicyField, PolicyIssue, PolicySpec } from '../api';
import { errorMessage } from '../api';
import { CopyButton } from '../components/CopyButton';
import { useBackend, useEvent } from '../hooks/backend';
import { useNotify } from '../hooks/notify';
import { configOf, draftOf, issuesByField, newDraft, type PolicyDraft } from './settings';

export interface PoliciesTabProps {
  api: APISummary | undefined;
}

function FieldInput({ id, field, value, invalid, describedBy, onChange }: { id: string; field: PolicyField; value: string; invalid: boolean; describedBy: string; onChange(v: string): void }) {
  const common = { id, 'aria-invalid': invalid, 'aria-describedby': describedBy, spellCheck: false };
  if (field.kind === 'boolean' || field.kind === 'enum') {
    const options = field.kind === 'boolean' ? ['true', 'false'] : (field.options ?? []);
    return (
      <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">(default)</option>
        {value && !options.includes(value) && <option value={value}>{value}</option>}
        {options.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
    );
  }
  if (field.kind === 'map' || field.kind === 'json') {
    return <textarea {...common} rows={field.kind === 'json' ? 4 : 3} value={value} placeholder={field.kind === 'map' ? 'Name: value, one per line' : (field.example ?? 'JSON')} onChange={(e) => onChange(e.target.value)} />;
  }
  const placeholder = field.example ? field.example.replace(/^"|"$/g, '').replace(/^\[|\]$/g, '').replace(/","/g, ', ').replace(/"/g, '') : '';
  return <input {...common} inputMode={field.kind === 'integer' ? 'numeric' : undefined} value={value} placeholder={placeholder} onChange={(e) => onChange(e.target.value)} />;
}

/** One policy's settings form. */
function PolicyEditor({ draft, spec, issues, onChange, onRemove }: { draft: PolicyDraft; spec: PolicySpec | undefined; issues: readonly PolicyIssue[]; onChange(d: PolicyDraft): void; onRemove(): void }) {
  const ids = useId();
  const byField = issuesByField(issues, draft.name);
  const fields: PolicyField[] = [...(spec?.fields ?? [])];
  for (const k of Object.keys(draft.values)) if (!fields.some((f) => f.name === k)) fields.push({ name: k, kind: 'json', description: 'Not in the catalog.' });
  const title = spec ? `${spec.title} (${draft.name})` : draft.name;
  return (
    <fieldset className="policy" aria-label={title}>
      <legend>
        <strong>{spec?.title ?? draft.name}</strong> <code className="muted">{draft.name}</code>
      </legend>
      {spec && <p className="field-help">{spec.description}</p>}
      {(byField.get('') ?? []).map((m, i) => (
        <p key={i} className="field-error" role="alert">
          {m}
        </p>
      ))}
      <div className="policy-fields">
        {fields.map((f) => {
          const id = `${ids}-${f.name}`;
          const errs = byField.get(f.name) ?? [];
          return (
            <div key={f.name} className="field">
              <label className="field-label" htmlFor={id}>
                {f.name}
                {f.required && <span aria-hidden="true"> *</span>}
              </label>
              <FieldInput id={id} field={f} value={draft.values[f.name] ?? ''} invalid={errs.length > 0} describedBy={`${id}-help`} onChange={(v) => onChange({ ...draft, values: { ...draft.values, [f.name]: v } })} />
              <span id={`${id}-help`} className={errs.length ? 'field-error' : 'field-help'}>
                {errs.length ? errs.join('; ') : f.description}
              </span>
            </div>
          );
        })}
      </div>
      <button type="button" className="btn btn-small btn-ghost-danger" onClick={onRemove}>
        Remove {draft.name}
      </button>
    </fieldset>
  );
}

/** Attach and edit the gateway policies of an API or of one of its operations; applied to the running gateway at once. */
export function PoliciesTab({ api }: PoliciesTabProps) {
  const { policies: ps } = useBackend();
  const { notify } = useNotify();
  const ids = useId();
  const [catalog, setCatalog] = useState<PolicySpec[]>([]);
  const [state, setState] = useState<APIPolicies | null>(null);
  const [scope, setScope] = useState('');
  const [drafts, setDrafts] = useState<PolicyDraft[]>([]);
  const [dirty, setDirty] = useState(false);
  const [issues, setIssues] = useState<PolicyIssue[]>([]);
  const [adding, setAdding] = useState('');
  const [busy, setBusy] = useState(false);
  const [loadError, setLoadError] = useState('');
  const [consumers, setConsumers] = useState<Consumer[]>([]);
  const [consumerName, setConsumerName] = useState('');
  const [consumerKey, setConsumerKey] = useState('');
  const [newKey, setNewKey] = useState<NewKey | null>(null);
  const [consumerError, setConsumerError] = useState('');
  const name = api?.name ?? '';

  const specOf = (n: string) => catalog.find((s) => s.name === n);

  useEffect(() => {
    ps.Catalog().then(setCatalog, (e: unknown) => setLoadError(errorMessage(e)));
    ps.Consumers().then(setConsumers, () => setConsumers([]));
  }, [ps]);

  const load = useCallback(async () => {
    if (!name) return;
    try {
      setState(await ps.Get(name));
      setLoadError('');
    } catch (e) {
      setLoadError(errorMessage(e));
    }
  }, [ps, name]);

  useEffect(() => {
    setScope('');
    void load();
  }, [load]);
  useEvent('apis:changed', () => void load());

  // The scope's policies become the drafts whenever the scope or the stored policies change.
  useEffect(() => {
    if (!state) return;
    const list = scope ? (state.operations.find((o) => o.id === scope)?.policies ?? []) : state.policies;
    setDrafts(list.map((p) => draftOf(p, catalog.find((s) => s.name === p.name))));
    setDirty(false);
    setIssues([]);
  }, [state, scope, catalog]);

  const edit = (next: PolicyDraft[]) => {
    setDrafts(next);
    setDirty(true);
  };

  const apply = async () => {
    setBusy(true);
    try {
      const res = await ps.Set(name, scope, drafts.map((d) => configOf(d, specOf(d.name))));
      if (res.saved) {
        setState(res.policies);
        notify({ kind: 'success', title: `Policies of ${scope || name} applied`, detail: 'The running gateway uses them now.' });
      } else {
        setIssues(res.issues);
      }
    } catch (e) {
      notify({ kind: 'error', title: 'Could not apply the policies', detail: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  };

  const toggleValidation = async (on: boolean) => {
    try {
      const res = await ps.SetValidation(name, on);
      if (res.saved) setState(res.policies);
    } catch (e) {
      notify({ kind: 'error', title: 'Could not change request validation', detail: errorMessage(e) });
    }
  };

  const addKey = async () => {
    setConsumerError('');
    try {
      const k = await ps.AddAPIKey(consumerName, consumerKey);
      setNewKey(k);
      setConsumerName('');
      setConsumerKey('');
      setConsumers(await ps.Consumers());
    } catch (e) {
      setConsumerError(errorMessage(e));
    }
  };

  const removeConsumer = async (c: string) => {
    setConsumerError('');
    try {
      await ps.DeleteConsumer(c);
      setConsumers(await ps.Consumers());
    } catch (e) {
      setConsumerError(errorMessage(e));
    }
  };

  if (!api) {
    return (
      <div className="tab-empty">
        <h2>No API selected</h2>
        <p>Pick an API in the sidebar to attach gateway policies to it.</p>
      </div>
    );
  }

  const available = catalog.filter((s) => !drafts.some((d) => d.name === s.name));
  // Issues of this scope show at their policy's fields; the rest (another operation's, the API's as a whole) in a list.
  const mine = issues.filter((i) => i.operation === scope);
  const scopeIssues = issues.filter((i) => i.operation !== scope || !drafts.some((d) => d.name === i.policy));

  return (
    <div className="policies">
      <div className="toolbar" role="toolbar" aria-label="Policy scope">
        <label className="inline-field">
          <span>Applies to</span>
          <select aria-label="Applies to" value={scope} onChange={(e) => setScope(e.target.value)}>
            <option value="">Every operation of {name}</option>
            {state?.operations.map((o) => (
              <option key={o.id} value={o.id}>
                {o.method} {o.path} ({o.id}){o.policies.length ? ` — ${o.policies.length}` : ''}
              </option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          <input type="checkbox" checked={state?.validate ?? true} onChange={(e) => void toggleValidation(e.target.checked)} />
          <span>Validate requests against the spec</span>
        </label>
        <span className="spacer" />
        {dirty && <span className="dirty-badge">● Not applied</span>}
        <button type="button" className="btn btn-small btn-primary" disabled={busy || !dirty} onClick={() => void apply()}>
          Apply policies
        </button>
      </div>
      <div className="policies-body">
        {loadError && (
          <div className="inline-alert" role="alert">
            <p>{loadError}</p>
          </div>
        )}
        <section aria-labelledby={`${ids}-list`} className="policies-list">
          <h3 id={`${ids}-list`} className="field-label">
            {scope ? `Policies of ${scope} (added to, or replacing, the API's)` : `Policies of every operation of ${name}`}
          </h3>
          {scopeIssues.map((i, n) => (
            <p key={n} className="field-error" role="alert">
              {i.operation && i.operation !== scope ? `operation ${i.operation}: ` : ''}
              {i.policy ? `${i.policy}: ` : ''}
              {i.field ? `${i.field}: ` : ''}
              {i.message}
            </p>
          ))}
          {drafts.length === 0 && <p className="muted">No policies here: requests go straight to the {scope ? 'API policies and the ' : ''}mock or upstream.</p>}
          {drafts.map((d, i) => (
            <PolicyEditor
              key={d.name}
              draft={d}
              spec={specOf(d.name)}
              issues={mine}
              onChange={(nd) => edit(drafts.map((x, j) => (j === i ? nd : x)))}
              onRemove={() => edit(drafts.filter((_, j) => j !== i))}
            />
          ))}
          <div className="add-policy">
            <label className="inline-field">
              <span>Add a policy</span>
              <select aria-label="Policy to add" value={adding} onChange={(e) => setAdding(e.target.value)}>
                <option value="">Choose…</option>
                {available.map((s) => (
                  <option key={s.name} value={s.name}>
                    {s.title} ({s.name})
                  </option>
                ))}
              </select>
            </label>
            <button
              type="button"
              className="btn btn-small"
              disabled={!adding}
              onClick={() => {
                const s = specOf(adding);
                if (s) edit([...drafts, newDraft(s)]);
                setAdding('');
              }}
            >
              Add policy
            </button>
          </div>
        </section>
        <section aria-labelledby={`${ids}-consumers`} className="consumers">
          <h3 id={`${ids}-consumers`} className="field-label">
            Consumers
          </h3>
          <p className="field-help">Who API key and basic auth policies accept. Keys are stored hashed: a new key is shown once.</p>
          <ul aria-label="Consumers" className="consumer-list">
            {consumers.length === 0 && <li className="muted">No consumers yet.</li>}
            {consumers.map((c) => (
              <li key={c.name}>
                <strong>{c.name}</strong> <span className="muted">{c.apiKeys} API key{c.apiKeys === 1 ? '' : 's'}</span>{' '}
                <button type="button" className="btn btn-small btn-ghost-danger" onClick={() => void removeConsumer(c.name)}>
                  Remove consumer {c.name}
                </button>
              </li>
            ))}
          </ul>
          <form
            className="consumer-form"
            onSubmit={(e) => {
              e.preventDefault();
              void addKey();
            }}
          >
            <input aria-label="Consumer name" placeholder="Consumer (mobile-app)" value={consumerName} onChange={(e) => setConsumerName(e.target.value)} />
            <input aria-label="API key (empty: generate one)" placeholder="Key (empty: generate one)" value={consumerKey} onChange={(e) => setConsumerKey(e.target.value)} />
            <button type="submit" className="btn btn-small">
              Add API key
            </button>
          </form>
          {consumerError && (
            <p className="field-error" role="alert">
              {consumerError}
            </p>
          )}
          {newKey && (
            <p role="status" className="new-key">
              Key for {newKey.consumer}: <code aria-label="New API key">{newKey.key}</code> <CopyButton text={newKey.key} label="Copy the new API key" />
            </p>
          )}
        </section>
      </div>
    </div>
  );
}
