import type { SendResult } from '../api';
import { formatBytes, formatDuration } from '../lib/format';

function statusClass(s: number): string {
  return s >= 500 ? 'status-5xx' : s >= 400 ? 'status-4xx' : s >= 300 ? 'status-3xx' : 'status-2xx';
}

/** The answer to a console request: status, timing, spec check, assertions, headers and body. */
export function ResponseView({ result }: { result: SendResult }) {
  const failed = result.assertions.filter((a) => !a.passed).length;
  return (
    <div className="response-view">
      <div className="response-summary" role="status" aria-label="Response status">
        <span className={`status ${statusClass(result.status)}`}>
          {result.status} {result.statusText}
        </span>
        <span className="muted">{formatDuration(result.durationMs)}</span>
        <span className="muted">{formatBytes(result.size)}</span>
        <span className="muted response-url" title={result.url}>
          {result.method} {result.url}
        </span>
      </div>
      <section aria-label="Spec check" className="msg-section">
        <h4>Spec check{result.operation ? ` (${result.operation.id})` : ''}</h4>
        {result.validationError ? (
          <p className="muted">{result.validationError}</p>
        ) : result.violations.length === 0 ? (
          <p className="check-ok">{result.operation ? 'The response matches the spec.' : 'No operation of the spec matches this request.'}</p>
        ) : (
          <ul className="violations" aria-label="Violations">
            {result.violations.map((v, i) => (
              <li key={i}>
                <span className="viol-in">{v.in}</span> {v.pointer && <code>{v.pointer}</code>} {v.message}
              </li>
            ))}
          </ul>
        )}
      </section>
      {result.assertions.length > 0 && (
        <section aria-label="Assertions" className="msg-section">
          <h4>
            Assertions: {failed === 0 ? 'all passed' : `${failed} failed`}
          </h4>
          <ul className="assertion-results">
            {result.assertions.map((a, i) => (
              <li key={i} className={a.passed ? 'check-ok' : 'check-fail'}>
                <span aria-label={a.passed ? 'passed' : 'failed'}>{a.passed ? '✓' : '✗'}</span> {a.assertion}
                {a.message && <span className="muted"> — {a.message}</span>}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section aria-label="Response headers" className="msg-section">
        <h4>Headers</h4>
        <table className="headers-table">
          <tbody>
            {result.headers.map(([k, v], i) => (
              <tr key={i}>
                <th scope="row">{k}</th>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-label="Response body" className="msg-section">
        <h4>
          Body {result.contentType && <span className="muted">{result.contentType}</span>}
          {result.truncated && <span className="muted"> (truncated)</span>}
        </h4>
        {result.size === 0 ? (
          <p className="muted">No body.</p>
        ) : result.bodyEncoding === 'base64' ? (
          <p className="muted">Binary body ({formatBytes(result.size)}).</p>
        ) : (
          <pre className="body-pre" tabIndex={0}>
            {result.body}
          </pre>
        )}
      </section>
    </div>
  );
}
