export type SpecLanguage = 'yaml' | 'json';

/** JSON when the first non-blank character opens an object or array, else YAML. */
export function detectLanguage(text: string): SpecLanguage {
  const m = /\S/.exec(text);
  return m && (m[0] === '{' || m[0] === '[') ? 'json' : 'yaml';
}
