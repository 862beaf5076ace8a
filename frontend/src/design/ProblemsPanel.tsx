import { memo, useMemo, useState } from 'react';
import type { Diagnostic } from '../api';
import { Listbox } from '../components/Listbox';
import { countBySeverity, inFile, sortDiagnostics } from '../editor/diagnostics';
import { plural } from '../lib/format';

export interface ProblemsPanelProps {
  diagnostics: readonly Diagnostic[];
  root: string;
  checking: boolean;
  checkError: string;
  onJump(d: Diagnostic): void;
  /** Opens the workspace's lint rules; no button when absent. */
  onEditRules?(): void;
}

const SEVERITY_LABEL: Record<Diagnostic['severity'], string> = { error: 'Error', warning: 'Warning', info: 'Info', hint: 'Hint' };

function key(d: Diagnostic, i: number): string {
  return `${i}:${d.file}:${d.line}:${d.column}:${d.rule}`;
}

/** Rows rendered before "Show all": a large spec can have thousands of problems. */
export const PROBLEMS_SHOWN = 200;

export const ProblemsPanel = memo(function ProblemsPanel({ diagnostics, root, checking, checkError, onJump, onEditRules }: ProblemsPanelProps) {
  const [all, setAll] = useState(false);
  const keyed = useMemo(() => sortDiagnostics(diagnostics, root).map((d, i) => ({ d, k: key(d, i) })), [diagnostics, root]);
  const c = useMemo(() => countBySeverity(diagnostics), [diagnostics]);
  const shown = all || keyed.length <= PROBLEMS_SHOWN ? keyed : keyed.slice(0, PROBLEMS_SHOWN);
  return (
    <section className="problems" aria-labelledby="problems-heading">
      <header className="panel-header">
        <h3 id="problems-heading">Problems</h3>
        <span className="problem-counts" aria-live="polite">
          {c.error > 0 && <span className="sev sev-error">{plural(c.error, 'error')}</span>}
          {c.warning > 0 && <span className="sev sev-warning">{plural(c.warning, 'warning')}</span>}
          {c.info + c.hint > 0 && <span className="sev sev-info">{c.info + c.hint} info</span>}
          {checking && <span className="muted">checking…</span>}
        </span>
        {onEditRules && (
          <button type="button" className="linkish problems-rules" onClick={onEditRules}>
            Lint rules…
          </button>
        )}
      </header>
      {checkError && (
        <div role="alert" className="inline-alert">
          The spec could not be checked: {checkError}. Keep editing; the next change checks again.
        </div>
      )}
      {diagnostics.length === 0 && !checkError ? (
        <p className="panel-empty">{checking ? 'Checking…' : 'No problems found.'}</p>
      ) : (
        <Listbox
          items={shown}
          getKey={(x) => x.k}
          label="Problems"
          className="problem-list"
          // The editor holds the root document: a problem in another file of the spec
          // names that file and line but cannot be jumped to here.
          onActivate={(x) => {
            if (!x.d.file || inFile(x.d, root)) onJump(x.d);
          }}
          render={({ d }) => (
            <div className={`problem sev-${d.severity}`}>
              <span className={`sev-icon sev-${d.severity}`} aria-label={SEVERITY_LABEL[d.severity]} role="img">
                {d.severity === 'error' ? '✕' : d.severity === 'warning' ? '!' : 'i'}
              </span>
              <span className="problem-message">{d.message}</span>
              <span className="problem-rule">{d.rule || d.source}</span>
              <span className="problem-where">
                {!inFile(d, root) && d.file ? <span title="In another file of the spec: open it in your editor">{`${d.file} `}</span> : ''}
                {d.line > 0 ? `${d.line}:${d.column || 1}` : ''}
              </span>
            </div>
          )}
        />
      )}
      {shown.length < keyed.length && (
        <p className="panel-more">
          <span className="muted">
            Showing the first {shown.length} of {keyed.length} problems.
          </span>{' '}
          <button type="button" className="linkish" onClick={() => setAll(true)}>
            Show all {keyed.length}
          </button>
        </p>
      )}
    </section>
  );
});
