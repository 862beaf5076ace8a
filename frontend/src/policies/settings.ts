// A policy's settings as a form holds them (one text per field) and back, by the field
// kinds the catalog describes.

import type { PolicyConfig, PolicyField, PolicyIssue, PolicySpec } from '../api';

/** Field name to the text its input holds. */
export type FieldValues = Record<string, string>;

/** A policy being edited. */
export interface PolicyDraft {
  name: string;
  values: FieldValues;
}

function textOf(f: PolicyField, v: unknown): string {
  if (v === undefined || v === null) return '';
  switch (f.kind) {
    case 'list':
      return Array.isArray(v) ? v.map(String).join(', ') : JSON.stringify(v);
    case 'map':
      return v && typeof v === 'object' && !Array.isArray(v)
        ? Object.entries(v as Record<string, unknown>)
            .map(([k, x]) => `${k}: ${String(x)}`)
            .join('\n')
        : JSON.stringify(v);
    case 'json':
      return JSON.stringify(v, null, 2);
    default:
      return typeof v === 'string' ? v : JSON.stringify(v);
  }
}

/** The form values of a configured policy; settings the catalog does not describe are kept under their own names as JSON. */
export function draftOf(p: PolicyConfig, spec: PolicySpec | undefined): PolicyDraft {
  const values: FieldValues = {};
  for (const [k, v] of Object.entries(p.settings ?? {})) {
    const f = spec?.fields.find((x) => x.name === k) ?? { name: k, kind: 'json' as const, description: '' };
    values[k] = textOf(f, v);
  }
  return { name: p.name, values };
}

/** The value one field's text stands for; undefined leaves the setting out (its default). */
export function valueOf(f: PolicyField, text: string): unknown {
  const t = text.trim();
  if (t === '') return undefined;
  switch (f.kind) {
    case 'integer': {
      const n = Number(t);
      return Number.isFinite(n) ? n : t; // the server names what is wrong with a non-number
    }
    case 'boolean':
      return t === 'true' ? true : t === 'false' ? false : t;
    case 'list':
      return t
        .split(/[,\n]/)
        .map((x) => x.trim())
        .filter(Boolean);
    case 'map': {
      const out: Record<string, string> = {};
      for (const line of t.split('\n')) {
        const i = line.indexOf(':');
        if (i <= 0) continue;
        out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
      }
      return out;
    }
    case 'json':
      try {
        return JSON.parse(t);
      } catch {
        return t;
      }
    default:
      return t;
  }
}

/** The configured policy a draft makes. */
export function configOf(d: PolicyDraft, spec: PolicySpec | undefined): PolicyConfig {
  const settings: Record<string, unknown> = {};
  for (const [k, text] of Object.entries(d.values)) {
    const f = spec?.fields.find((x) => x.name === k) ?? { name: k, kind: 'json' as const, description: '' };
    const v = valueOf(f, text);
    if (v !== undefined) settings[k] = v;
  }
  return Object.keys(settings).length ? { name: d.name, settings } : { name: d.name };
}

/** A new policy's draft, its required fields filled with the catalog's examples. */
export function newDraft(spec: PolicySpec): PolicyDraft {
  const values: FieldValues = {};
  for (const f of spec.fields) {
    if (!f.required || !f.example) continue;
    try {
      values[f.name] = textOf(f, JSON.parse(f.example));
    } catch {
      values[f.name] = f.example;
    }
  }
  return { name: spec.name, values };
}

/** The issues of one policy by field ("" for the policy as a whole). */
export function issuesByField(issues: readonly PolicyIssue[], policy: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const is of issues) {
    if (is.policy !== policy) continue;
    const key = is.field.split(/[.[]/)[0] ?? '';
    m.set(key, [...(m.get(key) ?? []), is.message]);
  }
  return m;
}
