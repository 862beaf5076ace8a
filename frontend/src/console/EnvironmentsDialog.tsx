import { useState } from 'react';
import type { Environment, Pair } from '../api';
import { errorMessage } from '../api';
import { Modal } from '../components/Modal';
import { useBackend } from '../hooks/backend';
import { PairsEditor } from './PairsEditor';
import { validVariableName } from './vars';

export interface EnvironmentsDialogProps {
  environments: Environment[];
  /** The environment to open first ("" for a new one). */
  initial: string;
  onChanged(envs: Environment[], active: string): void;
  onClose(): void;
}

const pairsOf = (e?: Environment): Pair[] => Object.entries(e?.variables ?? {}).map(([name, value]) => ({ name, value }));

/** Creates, edits and removes the workspace's environments. */
export function EnvironmentsDialog({ environments, initial, onChanged, onClose }: EnvironmentsDialogProps) {
  const { console: cs } = useBackend();
  const [editing, setEditing] = useState(initial);
  const current = environments.find((e) => e.name === editing);
  const [name, setName] = useState(current?.name ?? '');
  const [vars, setVars] = useState<Pair[]>(() => (current ? pairsOf(current) : [{ name: 'baseUrl', value: '' }, { name: 'token', value: '' }]));
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const open = (n: string) => {
    const e = environments.find((x) => x.name === n);
    setEditing(n);
    setName(e?.name ?? '');
    setVars(e ? pairsOf(e) : [{ name: 'baseUrl', value: '' }, { name: 'token', value: '' }]);
    setError('');
  };

  const reload = async (active: string) => {
    const list = await cs.Environments();
    onChanged(list, active);
  };

  const save = async () => {
    const bad = vars.find((v) => v.name.trim() !== '' && !validVariableName(v.name.trim()));
    if (!name.trim()) return setError('Give the environment a name.');
    if (bad) return setError(`"${bad.name}" is not a variable name: start with a letter or "_", then use letters, digits, "_", "-" and ".".`);
    setBusy(true);
    try {
      const variables: Record<string, string> = {};
      for (const v of vars) if (v.name.trim()) variables[v.name.trim()] = v.value;
      const saved = await cs.SaveEnvironment({ name: name.trim(), variables, updatedAt: '' });
      if (editing && editing !== saved.name) await cs.DeleteEnvironment(editing);
      await reload(saved.name);
      setEditing(saved.name);
      setError('');
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!editing) return;
    setBusy(true);
    try {
      await cs.DeleteEnvironment(editing);
      await reload('');
      open('');
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      title="Environments"
      onClose={onClose}
      footer={
        <>
          {editing && (
            <button type="button" className="btn btn-danger" disabled={busy} onClick={() => void remove()}>
              Delete environment
            </button>
          )}
          <span className="spacer" />
          <button type="button" className="btn" onClick={onClose}>
            Close
          </button>
          <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void save()}>
            Save environment
          </button>
        </>
      }
    >
      <div className="form">
        <div className="field">
          <label className="field-label" htmlFor="env-pick">
            Edit
          </label>
          <select id="env-pick" value={editing} onChange={(e) => open(e.target.value)}>
            <option value="">New environment…</option>
            {environments.map((e) => (
              <option key={e.name} value={e.name}>
                {e.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label className="field-label" htmlFor="env-name">
            Name
          </label>
          <input id="env-name" data-autofocus value={name} onChange={(e) => setName(e.target.value)} placeholder="local, staging…" spellCheck={false} />
        </div>
        <PairsEditor label="Variables" pairs={vars} onChange={setVars} />
        <p className="field-help">Use them as {'{{name}}'} in URLs, headers, query values, bodies and assertions. Kept in the workspace.</p>
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
      </div>
    </Modal>
  );
}
