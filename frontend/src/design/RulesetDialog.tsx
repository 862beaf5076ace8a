import { useEffect, useState } from 'react';
import { errorMessage } from '../api';
import { Modal } from '../components/Modal';
import { useBackend } from '../hooks/backend';

export interface RulesetDialogProps {
  /** Called after a save, so that the open spec is checked again with the new rules. */
  onSaved(): void;
  onClose(): void;
}

/** Starting points the dialog offers, in Spectral's format. */
export const RULESET_PRESETS: { label: string; text: string }[] = [
  { label: 'Recommended + OWASP Top 10', text: 'extends:\n  - [spectral:oas, recommended]\n  - owasp\n' },
  {
    label: 'Recommended, some rules off',
    text: 'extends:\n  - [spectral:oas, recommended]\nrules:\n  operation-tags: off\n  info-contact: off\n',
  },
];

/** Edits the workspace's own lint ruleset, which applies to APIs without a .spectral.yaml beside their spec. */
export function RulesetDialog({ onSaved, onClose }: RulesetDialogProps) {
  const { workspace } = useBackend();
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    workspace.LintRuleset().then(
      (t) => live && setText(t),
      (e) => live && (setText(''), setError(errorMessage(e))),
    );
    return () => {
      live = false;
    };
  }, [workspace]);

  const save = async (value: string) => {
    setBusy(true);
    setError('');
    try {
      await workspace.SaveLintRuleset(value);
      onSaved();
      onClose();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      title="Lint rules of this workspace"
      onClose={onClose}
      className="modal-wide"
      footer={
        <>
          <button type="button" className="btn" onClick={() => void save('')} disabled={busy || text === null}>
            Use the built-in rules
          </button>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" onClick={() => void save(text ?? '')} disabled={busy || text === null}>
            Save rules
          </button>
        </>
      }
    >
      <p className="muted">
        A Spectral ruleset for every API of the workspace that has no <code>.spectral.yaml</code> beside its spec file (that file wins). It may
        extend <code>spectral:oas</code> and <code>owasp</code>; empty means spectral:oas's recommended rules.
      </p>
      <p>
        Start from:{' '}
        {RULESET_PRESETS.map((p) => (
          <button key={p.label} type="button" className="linkish preset" onClick={() => setText(p.text)} disabled={text === null}>
            {p.label}
          </button>
        ))}
      </p>
      <label className="field">
        <span>Ruleset (YAML)</span>
        <textarea
          data-autofocus
          className="code-input"
          rows={14}
          spellCheck={false}
          value={text ?? ''}
          placeholder={text === null ? 'Loading…' : 'extends: [[spectral:oas, recommended], owasp]'}
          disabled={text === null}
          onChange={(e) => setText(e.target.value)}
        />
      </label>
      {error && (
        <div role="alert" className="inline-alert">
          The ruleset cannot be used: {error}
        </div>
      )}
    </Modal>
  );
}
