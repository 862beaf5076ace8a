import type { CompletionContext, CompletionResult } from '@codemirror/autocomplete';

// Keys of the OpenAPI object model, offered at the start of a YAML key.
const KEYS = [
  'openapi', 'info', 'title', 'version', 'description', 'summary', 'servers', 'url', 'paths', 'components',
  'schemas', 'responses', 'parameters', 'requestBody', 'content', 'schema', 'operationId', 'tags', 'security',
  'securitySchemes', 'required', 'properties', 'items', 'type', 'format', 'enum', 'example', 'examples',
  'headers', 'in', 'name', 'deprecated', 'allOf', 'oneOf', 'anyOf', 'discriminator', 'nullable', 'default',
  '$ref', 'get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'contact', 'license', 'externalDocs',
];

export function openAPIKeys(ctx: CompletionContext): CompletionResult | null {
  const word = ctx.matchBefore(/^\s*-?\s*[\w$]*$/);
  if (!word) return null;
  const line = ctx.state.doc.lineAt(ctx.pos);
  const prefix = /[\w$]*$/.exec(line.text.slice(0, ctx.pos - line.from))?.[0] ?? '';
  if (!prefix && !ctx.explicit) return null;
  return {
    from: ctx.pos - prefix.length,
    options: KEYS.map((k) => ({ label: k, type: 'property', apply: `${k}: ` })),
    validFor: /^[\w$]*$/,
  };
}
