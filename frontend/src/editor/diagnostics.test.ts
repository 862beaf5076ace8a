import { Text } from '@codemirror/state';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../api';
import { countBySeverity, diagnosticRange, inFile, sortDiagnostics, toLintDiagnostics } from './diagnostics';
import { detectLanguage } from './language';

const doc = Text.of(['openapi: 3.1.0', 'info:', '  title: Pets', '  version: 1.0.0', '']);

const d = (over: Partial<Diagnostic> = {}): Diagnostic => ({
  severity: 'error',
  source: 'parser',
  rule: '',
  message: 'boom',
  file: 'pets.yaml',
  line: 0,
  column: 0,
  endLine: 0,
  endColumn: 0,
  pointer: '',
  ...over,
});

describe('diagnosticRange', () => {
  it('maps 1-based line and column to offsets, with the end given', () => {
    // line 3 starts at 15 + 6 = 21; "title" is columns 3-8.
    expect(diagnosticRange(d({ line: 3, column: 3, endLine: 3, endColumn: 8 }), doc)).toEqual({ from: 23, to: 28 });
  });

  it('spans the token at the position when there is no end', () => {
    expect(diagnosticRange(d({ line: 4, column: 12 }), doc)).toEqual({ from: 46, to: 51 });
    expect(diagnosticRange(d({ line: 3, column: 3 }), doc)).toEqual({ from: 23, to: 28 });
  });

  it('marks the whole line without its indentation when the column is unknown', () => {
    expect(diagnosticRange(d({ line: 3 }), doc)).toEqual({ from: 23, to: 34 });
  });

  it('puts diagnostics without a position on the first line', () => {
    expect(diagnosticRange(d(), doc)).toEqual({ from: 0, to: 14 });
  });

  it('clamps positions past the end of the line or document', () => {
    expect(diagnosticRange(d({ line: 2, column: 99 }), doc)).toEqual({ from: 20, to: 20 });
    const r = diagnosticRange(d({ line: 99, column: 1 }), doc);
    expect(r.from).toBe(doc.length);
    expect(diagnosticRange(d({ line: 1, column: 1, endLine: 99, endColumn: 99 }), doc).to).toBe(doc.length);
  });

  it('handles an empty document', () => {
    expect(diagnosticRange(d({ line: 5, column: 5 }), Text.of(['']))).toEqual({ from: 0, to: 0 });
  });
});

describe('toLintDiagnostics', () => {
  it('keeps only the editor file and carries severity, message and source', () => {
    const out = toLintDiagnostics(
      [d({ line: 1, column: 1, severity: 'warning', source: 'lint', rule: 'info-contact', message: 'add a contact' }), d({ file: 'schemas/pet.yaml', line: 2, column: 1 }), d({ file: '', line: 2, column: 1, severity: 'hint' })],
      doc,
      'pets.yaml',
    );
    expect(out).toEqual([
      { from: 0, to: 7, severity: 'warning', message: 'add a contact', source: 'lint · info-contact' },
      { from: 15, to: 19, severity: 'hint', message: 'boom', source: 'parser' },
    ]);
  });

  it('matches files by base name when the root is a path', () => {
    expect(inFile(d({ file: '/specs/pets.yaml' }), 'pets.yaml')).toBe(true);
    expect(inFile(d({ file: 'other.yaml' }), 'pets.yaml')).toBe(false);
  });
});

describe('sortDiagnostics', () => {
  it('orders this file first, then severity, then position', () => {
    const list = [
      d({ file: 'b.yaml', line: 1 }),
      d({ severity: 'warning', line: 1 }),
      d({ severity: 'error', line: 9 }),
      d({ severity: 'error', line: 2, column: 5 }),
      d({ severity: 'error', line: 2, column: 1 }),
    ];
    expect(sortDiagnostics(list, 'pets.yaml').map((x) => `${x.file}:${x.severity}:${x.line}:${x.column}`)).toEqual([
      'pets.yaml:error:2:1',
      'pets.yaml:error:2:5',
      'pets.yaml:error:9:0',
      'pets.yaml:warning:1:0',
      'b.yaml:error:1:0',
    ]);
  });

  it('counts by severity', () => {
    expect(countBySeverity([d(), d({ severity: 'info' }), d()])).toEqual({ error: 2, warning: 0, info: 1, hint: 0 });
  });
});

describe('detectLanguage', () => {
  it('tells JSON from YAML by the first character', () => {
    expect(detectLanguage('  \n{ "openapi": "3.1.0" }')).toBe('json');
    expect(detectLanguage('openapi: 3.1.0')).toBe('yaml');
    expect(detectLanguage('')).toBe('yaml');
  });
});
