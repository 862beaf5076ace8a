import { useCallback, useEffect, useId, useMemo, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { APISummary, ConsoleRequest, ContractReport, Environment, GatewayStatus, OperationForm, OutlineItem, SendResult, SuiteList, SuiteResult, Target } from '../api';
import { errorMessage } from '../api';
import { Listbox } from '../components/Listbox';
import { useBackend, useEvent } from '../hooks/backend';
import { useNotify } from '../hooks/notify';
import { AssertionsEditor, assertionsOf, draftsOf } from './AssertionsEditor';
import { suggestedAssertions, type AssertionDraft } from './assertions';
import { EnvironmentsDialog } from './EnvironmentsDialog';
import { applyFields, fieldError, fieldsOf, jsonError, ownedNames, splitPairs, type Field } from './form';
import { PairsEditor } from './PairsEditor';
import { ResponseView } from './ResponseView';
import { ContractReportView, SuiteResultView } from './Results';
import { missingVariables } from './vars';

export interface ConsoleTabProps {
  api: APISummary | undefined;
  gateway: GatewayStatus;
}

const ENV_KEY = 'gantry.console.env';
const TARGET_KEY = 'gantry.console.target';
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

type Pane = 'response' | 'suite' | 'contract';

const opKey = (o: OutlineItem) => o.operationId || `${o.method} ${o.path}`;

const EMPTY: ConsoleRequest = { name: '', description: '', operationId: '', method: 'GET', url: '/', headers: [], query: [], body: '', capture: {}, assert: [], file: '' };

/** The request console: pick an operation, fill in the generated form, send it, save it with assertions, run suites and contract tests. */
export function ConsoleTab({ api, gateway }: ConsoleTabProps) {
  const { workspace, console: cs } = useBackend();
  const { notify } = useNotify();
  const ids = useId();
  const [outline, setOutline] = useState<OutlineItem[]>([]);
  const [selected, setSelected] = useState('');
  const [form, setForm] = useState<OperationForm | null>(null);
  const [fields, setFields] = useState<Field[]>([]);
  const [req, setReq] = useState<ConsoleRequest>(EMPTY);
  const [envs, setEnvs] = useState<Environment[]>([]);
  const [env, setEnv] = useState(() => localStorage.getItem(ENV_KEY) ?? '');
  const [targetURL, setTargetURL] = useState(() => localStorage.getItem(TARGET_KEY) ?? '');
  const [useURL, setUseURL] = useState(() => Boolean(localStorage.getItem(TARGET_KEY)));
  const [managing, setManaging] = useState(false);
  const [result, setResult] = useState<SendResult | null>(null);
  const [sendError, setSendError] = useState('');
  const [busy, setBusy] = useState('');
  const [suites, setSuites] = useState<SuiteList | null>(null);
  const [suiteName, setSuiteName] = useState('smoke');
  const [drafts, setDrafts] = useState<AssertionDraft[]>([]);
  const [saveError, setSaveError] = useState('');
  const [suiteResult, setSuiteResult] = useState<SuiteResult | null>(null);
  const [report, setReport] = useState<ContractReport | null>(null);
  const [pane, setPane] = useState<Pane>('response');
  const [onlySelected, setOnlySelected] = useState(false);
  const [validOnly, setValidOnly] = useState(false);

  const name = api?.name ?? '';
  const target: Target = useMemo(() => ({ url: useURL ? targetURL : '', environment: env }), [useURL, targetURL, env]);
  const served = gateway.running ? gateway.apis.find((a) => a.name === name) : undefined;

  useEffect(() => localStorage.setItem(ENV_KEY, env), [env]);
  useEffect(() => localStorage.setItem(TARGET_KEY, useURL ? targetURL : ''), [useURL, targetURL]);

  useEffect(() => {
    cs.Environments().then(setEnvs, () => setEnvs([]));
  }, [cs]);

  // The operations of the API, from its newest revision.
  useEffect(() => {
    if (!name) return;
    let live = true;
    (async () => {
      const doc = await workspace.Document(name);
      const r = await workspace.Check(name, doc.text);
      if (live) setOutline(r.outline);
    })().catch(() => live && setOutline([]));
    return () => {
      live = false;
    };
  }, [workspace, name, api?.latestRevision]);

  const loadSuites = useCallback(async () => {
    if (!name) return;
    try {
      setSuites(await cs.Suites(name));
    } catch (e) {
      setSuites(null);
      notify({ kind: 'error', title: 'Could not list the saved requests', detail: errorMessage(e) });
    }
  }, [cs, name, notify]);

  useEffect(() => {
    setSelected('');
    setForm(null);
    setFields([]);
    setReq(EMPTY);
    setResult(null);
    setSuiteResult(null);
    setReport(null);
    void loadSuites();
  }, [loadSuites]);

  useEvent('apis:changed', () => void loadSuites());

  const pick = async (item: OutlineItem) => {
    const key = opKey(item);
    setSelected(key);
    setSendError('');
    try {
      const f = await cs.Operation(name, key);
      const fs = fieldsOf(f);
      setForm(f);
      setFields(fs);
      const base: ConsoleRequest = { ...EMPTY, name: f.summary || f.operationId, operationId: f.operationId, method: f.method, body: f.body?.example ?? '' };
      setReq(applyFields(base, f, fs));
      setDrafts([]);
    } catch (e) {
      notify({ kind: 'error', title: `Could not build a request for ${key}`, detail: errorMessage(e) });
    }
  };

  const changeField = (key: string, patch: Partial<Field>) => {
    const next = fields.map((f) => (f.key === key ? { ...f, ...patch } : f));
    setFields(next);
    if (form) setReq((r) => applyFields(r, form, next));
  };

  const setBody = (body: string) => setReq((r) => (form ? applyFields({ ...r, body }, form, fields) : { ...r, body }));

  const envVars = envs.find((e) => e.name === env)?.variables ?? {};
  const missing = missingVariables(req, envVars);
  const fieldProblems = fields.map((f) => ({ f, err: fieldError(f) })).filter((x) => x.err);
  const bodyError = jsonError(req.body);

  const send = async (e?: FormEvent) => {
    e?.preventDefault();
    if (busy) return;
    setBusy('send');
    setSendError('');
    try {
      const { assertions } = assertionsOf(drafts);
      const r = await cs.Send(name, { ...req, assert: assertions }, target);
      setResult(r);
      setPane('response');
      if (drafts.length === 0) setDrafts(draftsOf(suggestedAssertions(r)));
    } catch (err) {
      setSendError(errorMessage(err));
    } finally {
      setBusy('');
    }
  };

  const save = async () => {
    const { assertions, error } = assertionsOf(drafts);
    if (error) return setSaveError(error);
    if (!req.name.trim()) return setSaveError('Give the request a name.');
    if (!suiteName.trim()) return setSaveError('Give the suite a name.');
    setBusy('save');
    try {
      const saved = await cs.SaveRequest(name, suiteName.trim(), { ...req, assert: assertions });
      setReq((r) => ({ ...r, file: saved.file }));
      setSaveError('');
      notify({ kind: 'success', title: `Saved ${saved.name}`, detail: saved.file });
      await loadSuites();
    } catch (e) {
      setSaveError(errorMessage(e));
    } finally {
      setBusy('');
    }
  };

  const open = (suite: string, r: ConsoleRequest) => {
    setSuiteName(suite);
    setForm(null);
    setFields([]);
    setSelected('');
    setReq(r);
    setDrafts(draftsOf(r.assert));
    setSaveError('');
  };

  const removeRequest = async (suite: string, r: ConsoleRequest) => {
    try {
      await cs.DeleteRequest(name, suite, r.name);
      await loadSuites();
    } catch (e) {
      notify({ kind: 'error', title: `Could not delete ${r.name}`, detail: errorMessage(e) });
    }
  };

  const runSuite = async (suite: string) => {
    setBusy(`suite:${suite}`);
    try {
      setSuiteResult(await cs.RunSuite(name, suite, target));
      setPane('suite');
    } catch (e) {
      notify({ kind: 'error', title: `Suite ${suite} did not run`, detail: errorMessage(e) });
    } finally {
      setBusy('');
    }
  };

  const runContract = async () => {
    setBusy('contract');
    try {
      const operations = onlySelected && form ? [form.operationId] : [];
      setReport(await cs.RunContract(name, target, { operations, noNegatives: validOnly, seed: 0 }));
      setPane('contract');
    } catch (e) {
      notify({ kind: 'error', title: 'Contract tests did not run', detail: errorMessage(e) });
    } finally {
      setBusy('');
    }
  };

  if (!api) {
    return (
      <div className="tab-empty">
        <h2>No API selected</h2>
        <p>Pick an API in the sidebar to send requests to it.</p>
      </div>
    );
  }

  const [, extraQuery] = splitPairs(req.query, form ? ownedNames(fields, 'query') : new Set());
  const [, extraHeaders] = splitPairs(req.headers, form ? ownedNames(fields, 'header') : new Set());
  const mergePairs = (which: 'query' | 'headers', extra: ConsoleRequest['query']) =>
    setReq((r) => {
      const [owned] = splitPairs(r[which], form ? ownedNames(fields, which === 'query' ? 'query' : 'header') : new Set());
      return { ...r, [which]: [...owned, ...extra] };
    });

  const PANES: { id: Pane; label: string }[] = [
    { id: 'response', label: 'Response' },
    { id: 'suite', label: 'Suite run' },
    { id: 'contract', label: 'Contract tests' },
  ];
  const onPaneKey = (e: KeyboardEvent) => {
    const i = PANES.findIndex((p) => p.id === pane);
    const n = e.key === 'ArrowRight' ? (i + 1) % PANES.length : e.key === 'ArrowLeft' ? (i + PANES.length - 1) % PANES.length : -1;
    if (n < 0) return;
    e.preventDefault();
    const p = PANES[n];
    if (!p) return;
    setPane(p.id);
    document.getElementById(`${ids}-pt-${p.id}`)?.focus();
  };

  return (
    <div className="console">
      <div className="toolbar" role="toolbar" aria-label="Console settings">
        <label className="inline-field">
          <span>Environment</span>
          <select aria-label="Environment" value={env} onChange={(e) => setEnv(e.target.value)}>
            <option value="">No environment</option>
            {envs.map((e) => (
              <option key={e.name} value={e.name}>
                {e.name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="btn btn-small" onClick={() => setManaging(true)}>
          Environments…
        </button>
        <label className="inline-field">
          <span>Send to</span>
          <select aria-label="Send to" value={useURL ? 'url' : 'gateway'} onChange={(e) => setUseURL(e.target.value === 'url')}>
            <option value="gateway">Gateway{served ? '' : ' (not serving this API)'}</option>
            <option value="url">A URL</option>
          </select>
        </label>
        {useURL ? (
          <input className="target-url" aria-label="Target URL" placeholder="https://staging.example.com/v1 or {{baseUrl}}" value={targetURL} onChange={(e) => setTargetURL(e.target.value)} spellCheck={false} />
        ) : (
          <code className="muted" aria-label="Target">
            {served ? served.baseURL : 'start the gateway to send through it'}
          </code>
        )}
        <span className="spacer" />
        <label className="inline-field">
          <input type="checkbox" checked={onlySelected} disabled={!form} onChange={(e) => setOnlySelected(e.target.checked)} />
          <span>Only {form ? form.operationId : 'the picked operation'}</span>
        </label>
        <label className="inline-field">
          <input type="checkbox" checked={validOnly} onChange={(e) => setValidOnly(e.target.checked)} />
          <span>Valid requests only</span>
        </label>
        <button type="button" className="btn btn-small" disabled={busy !== ''} onClick={() => void runContract()}>
          {busy === 'contract' ? 'Testing…' : 'Run contract tests'}
        </button>
      </div>
      <div className="console-body">
        <div className="console-side">
          <section aria-labelledby={`${ids}-ops`} className="console-ops">
            <div className="panel-header">
              <h3 id={`${ids}-ops`}>Operations</h3>
            </div>
            {outline.length === 0 ? (
              <p className="panel-empty muted">No operations.</p>
            ) : (
              <Listbox
                label="Operations"
                items={outline}
                getKey={opKey}
                selectedKey={selected}
                onActivate={(o) => void pick(o)}
                render={(o) => (
                  <span className="op-item">
                    <span className={`method method-${o.method.toLowerCase()}`}>{o.method}</span> <span className="op-path">{o.path}</span>
                    {o.summary && (
                      <span className="muted small op-summary">
                        <span className="sr-only">, </span>
                        {o.summary}
                      </span>
                    )}
                  </span>
                )}
              />
            )}
          </section>
          <section aria-labelledby={`${ids}-saved`} className="console-saved">
            <div className="panel-header">
              <h3 id={`${ids}-saved`}>Saved requests</h3>
            </div>
            {suites && (
              <p className="small muted saved-dir" title={suites.dir}>
                {suites.linked ? 'Beside the spec: ' : 'In the workspace: '}
                {suites.dir}
              </p>
            )}
            {suites?.suites.length === 0 && <p className="panel-empty muted">No saved requests yet: send one, add assertions, then save it.</p>}
            {suites?.suites.map((s) => (
              <div key={s.name} className="suite">
                <div className="suite-head">
                  <strong>{s.name}</strong>
                  <button type="button" className="btn btn-small" disabled={busy !== ''} onClick={() => void runSuite(s.name)}>
                    Run suite {s.name}
                  </button>
                </div>
                {s.problems.map((p, i) => (
                  <p key={i} className="field-error small">
                    {p}
                  </p>
                ))}
                <ul className="suite-requests" aria-label={`Requests of suite ${s.name}`}>
                  {s.requests.map((r) => (
                    <li key={r.file || r.name}>
                      <button type="button" className="linkish" aria-label={`Open ${r.name}`} onClick={() => open(s.name, r)}>
                        <span className={`method method-${r.method.toLowerCase()}`}>{r.method}</span> {r.name}
                      </button>
                      <button type="button" className="btn btn-small" aria-label={`Delete ${r.name}`} onClick={() => void removeRequest(s.name, r)}>
                        ×
                      </button>
                    </li>
                  ))}
                </ul>
              </div>
            ))}
          </section>
        </div>
        <section className="console-request" aria-label="Request">
          <form onSubmit={(e) => void send(e)} className="request-form">
            <div className="request-line">
              <select aria-label="Method" value={req.method} onChange={(e) => setReq((r) => ({ ...r, method: e.target.value }))}>
                {METHODS.map((m) => (
                  <option key={m}>{m}</option>
                ))}
              </select>
              <input aria-label="URL" value={req.url} onChange={(e) => setReq((r) => ({ ...r, url: e.target.value }))} spellCheck={false} placeholder="/path, relative to the target, or a full URL" />
              <button type="submit" className="btn btn-primary" disabled={busy !== ''}>
                {busy === 'send' ? 'Sending…' : 'Send'}
              </button>
            </div>
            {form && <p className="muted small">{form.summary || form.operationId}: {form.method} {form.path}</p>}
            {missing.length > 0 && (
              <p className="banner banner-warning" role="alert">
                {env ? `The environment ${env} does not set` : 'No environment sets'} {missing.map((m) => `{{${m}}}`).join(', ')}.
              </p>
            )}
            {sendError && (
              <div className="inline-alert" role="alert">
                <p>{sendError}</p>
              </div>
            )}
            {fields.length > 0 && (
              <fieldset className="params">
                <legend className="field-label">Parameters</legend>
                {fields.map((f) => {
                  const id = `${ids}-f-${f.key}`;
                  const err = fieldError(f);
                  const label = `${f.name} (${f.credential ? 'credential' : f.in})`;
                  return (
                    <div key={f.key} className="param-row">
                      <input
                        type="checkbox"
                        aria-label={`Send ${f.name}`}
                        checked={f.enabled}
                        disabled={f.required}
                        onChange={(e) => changeField(f.key, { enabled: e.target.checked })}
                      />
                      <label htmlFor={id} className="param-name">
                        {label}
                        {f.required && <span aria-hidden="true"> *</span>}
                      </label>
                      {f.input.kind === 'select' || f.input.kind === 'boolean' ? (
                        <select id={id} value={f.value} disabled={!f.enabled} onChange={(e) => changeField(f.key, { value: e.target.value })}>
                          {!f.input.options.includes(f.value) && <option value={f.value}>{f.value}</option>}
                          {f.input.options.map((o) => (
                            <option key={o}>{o}</option>
                          ))}
                        </select>
                      ) : (
                        <input
                          id={id}
                          inputMode={f.input.kind === 'integer' || f.input.kind === 'number' ? 'decimal' : undefined}
                          value={f.value}
                          placeholder={f.input.placeholder}
                          disabled={!f.enabled}
                          required={f.required}
                          aria-invalid={err !== ''}
                          aria-describedby={err ? `${id}-err` : undefined}
                          onChange={(e) => changeField(f.key, { value: e.target.value })}
                          spellCheck={false}
                        />
                      )}
                      {err && (
                        <span id={`${id}-err`} className="field-error">
                          {err}
                        </span>
                      )}
                    </div>
                  );
                })}
              </fieldset>
            )}
            <PairsEditor label="Query" pairs={extraQuery} onChange={(p) => mergePairs('query', p)} />
            <PairsEditor label="Headers" pairs={extraHeaders} onChange={(p) => mergePairs('headers', p)} />
            <div className="field">
              <label className="field-label" htmlFor={`${ids}-body`}>
                Body {form?.body && <span className="muted">{form.body.contentType}</span>}
              </label>
              <textarea
                id={`${ids}-body`}
                className="body-input"
                rows={8}
                value={req.body}
                onChange={(e) => setBody(e.target.value)}
                spellCheck={false}
                aria-invalid={bodyError !== ''}
                aria-describedby={bodyError ? `${ids}-body-err` : undefined}
              />
              {bodyError && (
                <span id={`${ids}-body-err`} className="field-error">
                  Not JSON: {bodyError}
                </span>
              )}
            </div>
            {fieldProblems.length > 0 && <p className="muted small">Parameters with problems are sent anyway: the spec check shows what the server says.</p>}
          </form>
          <section className="save-request" aria-label="Save request">
            <h3 className="field-label">Save with assertions</h3>
            <div className="save-line">
              <label className="inline-field">
                <span>Suite</span>
                <input aria-label="Suite" list={`${ids}-suites`} value={suiteName} onChange={(e) => setSuiteName(e.target.value)} spellCheck={false} />
                <datalist id={`${ids}-suites`}>
                  {suites?.suites.map((s) => (
                    <option key={s.name} value={s.name} />
                  ))}
                </datalist>
              </label>
              <label className="inline-field">
                <span>Name</span>
                <input aria-label="Request name" value={req.name} onChange={(e) => setReq((r) => ({ ...r, name: e.target.value }))} />
              </label>
            </div>
            <AssertionsEditor drafts={drafts} onChange={setDrafts} />
            {saveError && (
              <p className="field-error" role="alert">
                {saveError}
              </p>
            )}
            <button type="button" className="btn" disabled={busy !== ''} onClick={() => void save()}>
              {req.file ? 'Save changes' : 'Save request'}
            </button>
            {req.file && <p className="muted small">{req.file}</p>}
          </section>
        </section>
        <section className="console-results" aria-label="Results">
          <div role="tablist" aria-label="Results" className="tabs" onKeyDown={onPaneKey}>
            {PANES.map((p) => (
              <button
                key={p.id}
                id={`${ids}-pt-${p.id}`}
                type="button"
                role="tab"
                className="tab"
                aria-selected={pane === p.id}
                aria-controls={`${ids}-pp-${p.id}`}
                tabIndex={pane === p.id ? 0 : -1}
                onClick={() => setPane(p.id)}
              >
                {p.label}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`${ids}-pp-response`} aria-labelledby={`${ids}-pt-response`} hidden={pane !== 'response'} className="results-panel">
            {result ? <ResponseView result={result} /> : <p className="panel-empty muted">Send a request to see its response here.</p>}
          </div>
          <div role="tabpanel" id={`${ids}-pp-suite`} aria-labelledby={`${ids}-pt-suite`} hidden={pane !== 'suite'} className="results-panel">
            {suiteResult ? <SuiteResultView result={suiteResult} /> : <p className="panel-empty muted">Run a saved suite to see its results here.</p>}
          </div>
          <div role="tabpanel" id={`${ids}-pp-contract`} aria-labelledby={`${ids}-pt-contract`} hidden={pane !== 'contract'} className="results-panel">
            {report ? <ContractReportView report={report} /> : <p className="panel-empty muted">Run the contract tests to check every operation against the spec.</p>}
          </div>
        </section>
      </div>
      {managing && (
        <EnvironmentsDialog
          environments={envs}
          initial={env}
          onChanged={(list, active) => {
            setEnvs(list);
            if (active) setEnv(active);
            else if (!list.some((e) => e.name === env)) setEnv('');
          }}
          onClose={() => setManaging(false)}
        />
      )}
    </div>
  );
}
