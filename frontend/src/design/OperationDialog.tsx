import { useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { Operation, OperationBody, OperationKey, OperationParameter, OperationResponse } from '../api';
import { errorMessage } from '../api';
import { Icon } from '../components/Icon';
import { Modal } from '../components/Modal';

export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const LOCATIONS = ['query', 'path', 'header', 'cookie'] as const;

/** A blank operation for "Add operation". */
export function newOperation(): Operation {
  return {
    path: '/',
    method: 'get',
    operationId: '',
    summary: '',
    description: '',
    tags: [],
    parameters: [],
    requestBody: null,
    responses: [{ status: '200', description: 'OK', mediaType: 'application/json', schema: '', example: '' }],
  };
}

const FIELD_RE = /^((?:path|method|operationId|summary|description|tags|parameters|requestBody|responses)(?:\[\d+\])?(?:\.[A-Za-z]+)?): ([\s\S]*)$/;

/** Splits "parameters[1].schema: not valid JSON" into its field and message; field is "" when the error names none. */
export function fieldError(message: string): { field: string; message: string } {
  const m = FIELD_RE.exec(message);
  return m ? { field: m[1] as string, message: m[2] as string } : { field: '', message };
}

interface Props {
  /** The operation edited, or null when adding one. */
  from: OperationKey | null;
  initial: Operation;
  /** Writes op; rejects with "field: message" when a field is wrong. */
  onSubmit(op: Operation): Promise<void>;
  onClose(): void;
}

const emptyParam = (): OperationParameter => ({ name: '', in: 'query', required: false, description: '', schema: '', example: '' });
const emptyResponse = (): OperationResponse => ({ status: '', description: '', mediaType: 'application/json', schema: '', example: '' });
const emptyBody = (): OperationBody => ({ required: true, description: '', mediaType: 'application/json', schema: '', example: '' });

export function OperationDialog({ from, initial, onSubmit, onClose }: Props) {
  const base = useId();
  const formId = `${base}-form`;
  const [op, setOp] = useState<Operation>(initial);
  const [tags, setTags] = useState(initial.tags.join(', '));
  const [error, setError] = useState<{ field: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  const id = (field: string) => `${base}-${field.replace(/[[\].]/g, '-')}`;
  const errId = (field: string) => `${id(field)}-error`;
  const errorAt = (field: string) => (error && error.field === field ? error.message : '');
  /** aria props of the control of field. */
  const a = (field: string) => {
    const bad = Boolean(errorAt(field));
    return { id: id(field), 'aria-invalid': bad || undefined, 'aria-describedby': bad ? errId(field) : undefined };
  };
  const errorText = (field: string): ReactNode =>
    errorAt(field) ? (
      <span id={errId(field)} className="field-error" role="alert" tabIndex={-1}>
        {errorAt(field)}
      </span>
    ) : null;

  const update = (patch: Partial<Operation>) => {
    setOp((o) => ({ ...o, ...patch }));
  };
  const setParam = (i: number, patch: Partial<OperationParameter>) =>
    setOp((o) => ({ ...o, parameters: o.parameters.map((p, j) => (j === i ? { ...p, ...patch } : p)) }));
  const setResponse = (i: number, patch: Partial<OperationResponse>) =>
    setOp((o) => ({ ...o, responses: o.responses.map((r, j) => (j === i ? { ...r, ...patch } : r)) }));
  const setBody = (patch: Partial<OperationBody>) => setOp((o) => ({ ...o, requestBody: o.requestBody ? { ...o.requestBody, ...patch } : o.requestBody }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    const out: Operation = {
      ...op,
      method: op.method.toLowerCase(),
      tags: tags
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    };
    try {
      await onSubmit(out);
    } catch (err) {
      const fe = fieldError(errorMessage(err));
      setError(fe);
      setBusy(false);
      // Move focus to the field that is wrong (or the general error).
      setTimeout(() => {
        const find = (x: string) => formRef.current?.querySelector<HTMLElement>(`#${CSS.escape(x)}`);
        (find(id(fe.field)) ?? find(errId(fe.field)) ?? find(`${base}-general`))?.focus();
      });
    }
  };

  // Errors whose field has no control of its own ("parameters", "responses", or none) show at the top.
  const general =
    error && !['parameters', 'responses'].includes(error.field) && !formRef.current?.querySelector(`#${CSS.escape(id(error.field))}`) ? error.message : '';
  const title = from ? `Edit ${from.method.toUpperCase()} ${from.path}` : 'Add operation';
  const body = op.requestBody;

  return (
    <Modal
      title={title}
      onClose={onClose}
      className="modal-wide"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form={formId} className="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : from ? 'Apply' : 'Add operation'}
          </button>
        </>
      }
    >
      <form id={formId} ref={formRef} className="form op-form" onSubmit={(e) => void submit(e)} noValidate>
        {general && (
          <div id={`${base}-general`} tabIndex={-1} role="alert" className="banner banner-error">
            <Icon name="alert" />
            <span>{error?.field ? `${error.field}: ${general}` : general}</span>
          </div>
        )}
        <div className="op-form-row">
          <div className="field op-method-field">
            <label className="field-label" htmlFor={id('method')}>
              Method
            </label>
            <select {...a('method')} value={op.method} onChange={(e) => update({ method: e.target.value })}>
              {METHODS.map((m) => (
                <option key={m} value={m}>
                  {m.toUpperCase()}
                </option>
              ))}
            </select>
            {errorText('method')}
          </div>
          <div className="field op-path-field">
            <label className="field-label" htmlFor={id('path')}>
              Path
            </label>
            <input {...a('path')} data-autofocus value={op.path} onChange={(e) => update({ path: e.target.value })} spellCheck={false} autoComplete="off" placeholder="/pets/{id}" />
            {errorText('path')}
          </div>
        </div>
        <div className="op-form-row">
          <div className="field">
            <label className="field-label" htmlFor={id('operationId')}>
              Operation ID
            </label>
            <input {...a('operationId')} value={op.operationId} onChange={(e) => update({ operationId: e.target.value })} spellCheck={false} autoComplete="off" />
            {errorText('operationId')}
          </div>
          <div className="field">
            <label className="field-label" htmlFor={id('tags')}>
              Tags
            </label>
            <input {...a('tags')} value={tags} onChange={(e) => setTags(e.target.value)} placeholder="pets, store" autoComplete="off" />
            {errorText('tags')}
          </div>
        </div>
        <div className="field">
          <label className="field-label" htmlFor={id('summary')}>
            Summary
          </label>
          <input {...a('summary')} value={op.summary} onChange={(e) => update({ summary: e.target.value })} autoComplete="off" />
          {errorText('summary')}
        </div>
        <div className="field">
          <label className="field-label" htmlFor={id('description')}>
            Description
          </label>
          <textarea {...a('description')} rows={2} value={op.description} onChange={(e) => update({ description: e.target.value })} />
          {errorText('description')}
        </div>

        <fieldset className="field op-section">
          <legend className="field-label">Parameters</legend>
          {op.parameters.length === 0 ? (
            <p className="field-help">No parameters.</p>
          ) : (
            <table className="op-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">In</th>
                  <th scope="col">Required</th>
                  <th scope="col">Description</th>
                  <th scope="col">Schema (JSON)</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {op.parameters.map((p, i) => {
                  const f = `parameters[${i}]`;
                  const n = i + 1;
                  return (
                    <tr key={i}>
                      {p.ref ? (
                        <td colSpan={5}>
                          <code>$ref: {p.ref}</code>
                        </td>
                      ) : (
                        <>
                          <td>
                            <input {...a(`${f}.name`)} aria-label={`Parameter ${n} name`} value={p.name} onChange={(e) => setParam(i, { name: e.target.value })} spellCheck={false} autoComplete="off" />
                            {errorText(`${f}.name`)}
                          </td>
                          <td>
                            <select {...a(`${f}.in`)} aria-label={`Parameter ${n} location`} value={p.in} onChange={(e) => setParam(i, { in: e.target.value, ...(e.target.value === 'path' ? { required: true } : {}) })}>
                              {LOCATIONS.map((l) => (
                                <option key={l} value={l}>
                                  {l}
                                </option>
                              ))}
                            </select>
                            {errorText(`${f}.in`)}
                          </td>
                          <td className="op-check">
                            <input type="checkbox" {...a(`${f}.required`)} aria-label={`Parameter ${n} required`} checked={p.required || p.in === 'path'} disabled={p.in === 'path'} onChange={(e) => setParam(i, { required: e.target.checked })} />
                          </td>
                          <td>
                            <input {...a(`${f}.description`)} aria-label={`Parameter ${n} description`} value={p.description} onChange={(e) => setParam(i, { description: e.target.value })} autoComplete="off" />
                            {errorText(`${f}.description`)}
                          </td>
                          <td>
                            <input {...a(`${f}.schema`)} className="mono" aria-label={`Parameter ${n} schema`} value={p.schema} onChange={(e) => setParam(i, { schema: e.target.value })} placeholder='{"type": "string"}' spellCheck={false} autoComplete="off" />
                            {errorText(`${f}.schema`)}
                            {errorText(`${f}.example`)}
                          </td>
                        </>
                      )}
                      <td>
                        <button type="button" className="btn-icon" aria-label={`Remove parameter ${n}`} onClick={() => update({ parameters: op.parameters.filter((_, j) => j !== i) })}>
                          <Icon name="trash" />
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          {errorText('parameters')}
          <div>
            <button type="button" className="btn btn-small" onClick={() => update({ parameters: [...op.parameters, emptyParam()] })}>
              <Icon name="plus" /> Add parameter
            </button>
          </div>
        </fieldset>

        <fieldset className="field op-section">
          <legend className="field-label">Request body</legend>
          <label className="radio">
            <input type="checkbox" checked={Boolean(body)} onChange={(e) => update({ requestBody: e.target.checked ? (initial.requestBody ?? emptyBody()) : null })} />
            <span>Has a request body</span>
          </label>
          {body?.ref && (
            <p className="field-help">
              <code>$ref: {body.ref}</code>
            </p>
          )}
          {body && !body.ref && (
            <>
              <div className="op-form-row">
                <div className="field">
                  <label className="field-label" htmlFor={id('requestBody.mediaType')}>
                    Body media type
                  </label>
                  <input {...a('requestBody.mediaType')} value={body.mediaType} onChange={(e) => setBody({ mediaType: e.target.value })} spellCheck={false} autoComplete="off" />
                  {errorText('requestBody.mediaType')}
                </div>
                <label className="radio op-required">
                  <input type="checkbox" checked={body.required} onChange={(e) => setBody({ required: e.target.checked })} />
                  <span>Body required</span>
                </label>
              </div>
              <div className="field">
                <label className="field-label" htmlFor={id('requestBody.schema')}>
                  Body schema (JSON)
                </label>
                <textarea {...a('requestBody.schema')} className="mono" rows={3} value={body.schema} onChange={(e) => setBody({ schema: e.target.value })} spellCheck={false} />
                {errorText('requestBody.schema')}
              </div>
              <div className="field">
                <label className="field-label" htmlFor={id('requestBody.example')}>
                  Body example (JSON)
                </label>
                <textarea {...a('requestBody.example')} className="mono" rows={2} value={body.example} onChange={(e) => setBody({ example: e.target.value })} spellCheck={false} />
                {errorText('requestBody.example')}
              </div>
            </>
          )}
        </fieldset>

        <fieldset className="field op-section">
          <legend className="field-label">Responses</legend>
          <table className="op-table">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Description</th>
                <th scope="col">Media type</th>
                <th scope="col">Schema (JSON)</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {op.responses.map((r, i) => {
                const f = `responses[${i}]`;
                const n = i + 1;
                return (
                  <tr key={i}>
                    <td className="op-status">
                      <input {...a(`${f}.status`)} aria-label={`Response ${n} status`} value={r.status} onChange={(e) => setResponse(i, { status: e.target.value })} placeholder="200" spellCheck={false} autoComplete="off" />
                      {errorText(`${f}.status`)}
                    </td>
                    {r.ref ? (
                      <td colSpan={3}>
                        <code>$ref: {r.ref}</code>
                      </td>
                    ) : (
                      <>
                        <td>
                          <input {...a(`${f}.description`)} aria-label={`Response ${n} description`} value={r.description} onChange={(e) => setResponse(i, { description: e.target.value })} autoComplete="off" />
                          {errorText(`${f}.description`)}
                        </td>
                        <td>
                          <input {...a(`${f}.mediaType`)} aria-label={`Response ${n} media type`} value={r.mediaType} onChange={(e) => setResponse(i, { mediaType: e.target.value })} spellCheck={false} autoComplete="off" />
                          {errorText(`${f}.mediaType`)}
                        </td>
                        <td>
                          <input {...a(`${f}.schema`)} className="mono" aria-label={`Response ${n} schema`} value={r.schema} onChange={(e) => setResponse(i, { schema: e.target.value })} spellCheck={false} autoComplete="off" />
                          {errorText(`${f}.schema`)}
                          {errorText(`${f}.example`)}
                        </td>
                      </>
                    )}
                    <td>
                      <button type="button" className="btn-icon" aria-label={`Remove response ${n}`} onClick={() => update({ responses: op.responses.filter((_, j) => j !== i) })}>
                        <Icon name="trash" />
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {errorText('responses')}
          <div>
            <button type="button" className="btn btn-small" onClick={() => update({ responses: [...op.responses, emptyResponse()] })}>
              <Icon name="plus" /> Add response
            </button>
          </div>
        </fieldset>
      </form>
    </Modal>
  );
}
