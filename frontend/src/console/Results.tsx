import type { ContractReport, SuiteResult } from '../api';
import { formatDuration } from '../lib/format';

const ms = (ns: number) => formatDuration(ns / 1e6);

/** The requests of a suite run with their assertions. */
export function SuiteResultView({ result }: { result: SuiteResult }) {
  const s = result.summary;
  return (
    <div className="results">
      <p role="status" className={s.failed + s.errors + s.skipped === 0 ? 'check-ok' : 'check-fail'}>
        Suite {result.suite}: {s.passed} of {s.requests} passed{s.failed ? `, ${s.failed} failed` : ''}
        {s.errors ? `, ${s.errors} errors` : ''} in {ms(result.duration)}
      </p>
      <ul className="result-list" aria-label={`Results of suite ${result.suite}`}>
        {result.requests.map((r, i) => (
          <li key={i} className={r.outcome === 'passed' ? 'check-ok' : 'check-fail'}>
            <div>
              <strong>{r.outcome === 'passed' ? '✓' : '✗'} {r.name}</strong> <span className="muted">{r.method} {r.url}</span>{' '}
              {r.status ? <span className="badge">{r.status}</span> : null} <span className="muted">{ms(r.duration)}</span>
            </div>
            {r.error && <p className="field-error">{r.error}</p>}
            {(r.assertions ?? []).filter((a) => !a.passed).map((a, j) => (
              <p key={j} className="small">
                ✗ {a.assertion}
                {a.message && <span className="muted"> — {a.message}</span>}
              </p>
            ))}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Per-operation outcome of a contract run, with each failed check's violations. */
export function ContractReportView({ report }: { report: ContractReport }) {
  const s = report.summary;
  return (
    <div className="results">
      <p role="status" className={s.failed + s.errors === 0 ? 'check-ok' : 'check-fail'}>
        Contract tests against {report.target}: {s.passed} of {s.operations} operations passed
        {s.failed ? `, ${s.failed} failed` : ''}
        {s.errors ? `, ${s.errors} errors` : ''} ({s.requests} requests)
      </p>
      <ul className="result-list" aria-label="Contract test results">
        {report.operations.map((o) => (
          <li key={`${o.method} ${o.path}`} className={o.outcome === 'passed' ? 'check-ok' : 'check-fail'}>
            <details open={o.outcome !== 'passed'}>
              <summary>
                <strong>
                  {o.outcome === 'passed' ? '✓' : '✗'} {o.id}
                </strong>{' '}
                <span className="muted">
                  {o.method} {o.path}
                </span>{' '}
                <span className="badge">{o.outcome}</span>
              </summary>
              {o.error && <p className="field-error">{o.error}</p>}
              <ul>
                {o.checks.map((c, i) => (
                  <li key={i} className={c.passed ? 'check-ok' : 'check-fail'}>
                    {c.passed ? '✓' : '✗'} {c.what}: {c.status ? `status ${c.status}` : (c.error ?? 'no answer')} <span className="muted">({c.expected})</span>
                    {(c.violations ?? []).length > 0 && (
                      <ul className="violations">
                        {(c.violations ?? []).map((v, j) => (
                          <li key={j}>
                            <span className="viol-in">{v.in}</span> {v.name && <code>{v.name}</code>} {v.message}
                          </li>
                        ))}
                      </ul>
                    )}
                  </li>
                ))}
              </ul>
            </details>
          </li>
        ))}
      </ul>
    </div>
  );
}
