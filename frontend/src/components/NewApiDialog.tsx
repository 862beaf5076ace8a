import { useState, type FormEvent } from 'react';
import type { Template } from '../api';
import { Modal } from './Modal';

export interface NewApiDialogProps {
  existing: readonly string[];
  onCreate(name: string, template: Template): Promise<string | null>;
  onClose(): void;
}

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** Why name can't be used, or "" when it can. */
export function validateApiName(name: string, existing: readonly string[]): string {
  if (!name) return 'Give the API a name.';
  if (!NAME_RE.test(name)) return 'Use lowercase letters, digits, ".", "_" or "-", starting with a letter or digit (at most 63).';
  if (existing.includes(name)) return `An API named "${name}" already exists.`;
  return '';
}

export function NewApiDialog({ existing, onCreate, onClose }: NewApiDialogProps) {
  const [name, setName] = useState('');
  const [template, setTemplate] = useState<Template>('blank');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [serverError, setServerError] = useState('');
  const problem = validateApiName(name.trim(), existing);
  const shown = touched ? problem || serverError : serverError;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (problem) return;
    setBusy(true);
    const err = await onCreate(name.trim(), template);
    setBusy(false);
    if (err) setServerError(err);
  };

  return (
    <Modal
      title="New API"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="new-api-form" className="btn btn-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create API'}
          </button>
        </>
      }
    >
      <form id="new-api-form" className="form" onSubmit={submit} noValidate>
        <div className="field">
          <label className="field-label" htmlFor="new-api-name">
            Name
          </label>
          <input
            id="new-api-name"
            data-autofocus
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              setServerError('');
            }}
            onBlur={() => setTouched(Boolean(name))}
            placeholder="orders"
            autoComplete="off"
            spellCheck={false}
            aria-invalid={Boolean(shown)}
            aria-describedby="new-api-name-help"
          />
          <span id="new-api-name-help" className={shown ? 'field-error' : 'field-help'} role={shown ? 'alert' : undefined}>
            {shown || 'Lowercase, used in URLs: the mock serves it under /<name>.'}
          </span>
        </div>
        <fieldset className="field">
          <legend className="field-label">Start from</legend>
          <label className="radio">
            <input type="radio" name="template" value="blank" checked={template === 'blank'} onChange={() => setTemplate('blank')} />
            <span>
              <strong>Blank</strong> — one health-check operation to build on
            </span>
          </label>
          <label className="radio">
            <input type="radio" name="template" value="petstore" checked={template === 'petstore'} onChange={() => setTemplate('petstore')} />
            <span>
              <strong>Petstore</strong> — the classic example with four operations
            </span>
          </label>
        </fieldset>
      </form>
    </Modal>
  );
}
