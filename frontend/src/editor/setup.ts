// The editor's extensions: highlighting, folding, search, history, lint
// display and a theme drawn entirely from the app's CSS variables.

import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { json } from '@codemirror/lang-json';
import { yaml } from '@codemirror/lang-yaml';
import {
  bracketMatching,
  foldGutter,
  foldKeymap,
  HighlightStyle,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
} from '@codemirror/language';
import { forEachDiagnostic, lintGutter, lintKeymap } from '@codemirror/lint';
import { highlightSelectionMatches, search, searchKeymap } from '@codemirror/search';
import { Compartment, EditorState, type Extension, type Text } from '@codemirror/state';
import {
  crosshairCursor,
  drawSelection,
  dropCursor,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  rectangularSelection,
} from '@codemirror/view';
import { tags as t } from '@lezer/highlight';
import { openAPIKeys } from './completions';
import type { SpecLanguage } from './language';

export const highlight = HighlightStyle.define([
  { tag: [t.propertyName, t.definition(t.propertyName)], color: 'var(--syn-key)' },
  { tag: [t.string, t.special(t.string), t.content], color: 'var(--syn-string)' },
  { tag: [t.number, t.bool, t.null, t.atom], color: 'var(--syn-number)' },
  { tag: [t.keyword, t.operatorKeyword, t.definitionKeyword], color: 'var(--syn-keyword)' },
  { tag: [t.comment, t.lineComment, t.blockComment], color: 'var(--syn-comment)', fontStyle: 'italic' },
  { tag: [t.meta, t.annotation, t.labelName, t.typeName], color: 'var(--syn-meta)' },
  { tag: [t.punctuation, t.separator, t.bracket, t.squareBracket, t.brace], color: 'var(--syn-punct)' },
  { tag: t.invalid, color: 'var(--danger)' },
]);

export const theme = EditorView.theme({
  '&': { height: '100%', fontSize: 'var(--font-size-code)', backgroundColor: 'var(--bg-editor)', color: 'var(--fg)' },
  '.cm-scroller': { fontFamily: 'var(--font-mono)', lineHeight: '1.55' },
  '.cm-content': { caretColor: 'var(--accent)' },
  '&.cm-focused': { outline: 'none' },
  '.cm-cursor, .cm-dropCursor': { borderLeftColor: 'var(--accent)' },
  '&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, ::selection': {
    backgroundColor: 'var(--selection)',
  },
  '.cm-gutters': { backgroundColor: 'var(--bg-editor)', color: 'var(--fg-faint)', border: 'none', borderRight: '1px solid var(--border)' },
  '.cm-activeLineGutter': { backgroundColor: 'var(--bg-active-line)', color: 'var(--fg-muted)' },
  '.cm-activeLine': { backgroundColor: 'var(--bg-active-line)' },
  '.cm-foldPlaceholder': { backgroundColor: 'var(--bg-subtle)', border: '1px solid var(--border)', color: 'var(--fg-muted)' },
  '.cm-searchMatch': { backgroundColor: 'var(--search-match)', outline: '1px solid var(--search-match-border)' },
  '.cm-searchMatch.cm-searchMatch-selected': { backgroundColor: 'var(--search-match-selected)' },
  '.cm-selectionMatch': { backgroundColor: 'var(--selection-match)' },
  '.cm-matchingBracket': { backgroundColor: 'var(--selection-match)', outline: '1px solid var(--border-strong)' },
  '.cm-panels': { backgroundColor: 'var(--bg-subtle)', color: 'var(--fg)' },
  '.cm-panels.cm-panels-top': { borderBottom: '1px solid var(--border)' },
  '.cm-panels.cm-panels-bottom': { borderTop: '1px solid var(--border)' },
  '.cm-panel input, .cm-panel button, .cm-textfield, .cm-button': { font: 'inherit', fontSize: '12px' },
  '.cm-textfield': { backgroundColor: 'var(--bg-input)', color: 'var(--fg)', border: '1px solid var(--border-strong)', borderRadius: '4px' },
  '.cm-button': { backgroundImage: 'none', backgroundColor: 'var(--bg-button)', color: 'var(--fg)', border: '1px solid var(--border-strong)', borderRadius: '4px' },
  '.cm-tooltip': { backgroundColor: 'var(--bg-raised)', color: 'var(--fg)', border: '1px solid var(--border-strong)', borderRadius: '6px', boxShadow: 'var(--shadow)' },
  '.cm-tooltip-autocomplete > ul > li[aria-selected]': { backgroundColor: 'var(--accent)', color: 'var(--on-accent)' },
  '.cm-diagnostic': { padding: '4px 8px', fontFamily: 'var(--font-ui)' },
  '.cm-diagnostic-error': { borderLeft: '4px solid var(--danger)' },
  '.cm-diagnostic-warning': { borderLeft: '4px solid var(--warning)' },
  '.cm-diagnostic-info': { borderLeft: '4px solid var(--info)' },
  '.cm-diagnostic-hint': { borderLeft: '4px solid var(--fg-faint)' },
  '.cm-diagnosticSource': { color: 'var(--fg-muted)' },
  '.cm-lintRange-error': { backgroundImage: 'none', textDecoration: 'underline wavy var(--danger)', textUnderlineOffset: '3px' },
  '.cm-lintRange-warning': { backgroundImage: 'none', textDecoration: 'underline wavy var(--warning)', textUnderlineOffset: '3px' },
  '.cm-lintRange-info': { backgroundImage: 'none', textDecoration: 'underline dotted var(--info)', textUnderlineOffset: '3px' },
  '.cm-lintRange-hint': { backgroundImage: 'none', textDecoration: 'underline dotted var(--fg-faint)', textUnderlineOffset: '3px' },
  '.cm-lint-marker': { width: '0.9em', height: '0.9em' },
});

export function languageExtension(lang: SpecLanguage): Extension {
  return lang === 'json' ? json() : yaml();
}

export interface SetupOptions {
  language: Compartment;
  initialLanguage: SpecLanguage;
  /** The text changed: read() returns the new text (read it only when needed: it costs a copy of the document). */
  onChange: (read: () => string, length: number, doc: Text) => void;
  label: string;
  /** The cursor moved, or the text or its diagnostics changed: where the cursor is now. */
  onCursor?: (c: CursorInfo) => void;
}

/** Where the cursor is, and the most severe diagnostic on its line. */
export interface CursorInfo {
  line: number;
  column: number;
  problem: { severity: string; message: string } | null;
}

const SEVERITY_RANK: Record<string, number> = { error: 3, warning: 2, info: 1, hint: 0 };

/** The cursor of state and the most severe diagnostic on its line (the first, among equals). */
export function cursorInfo(state: EditorState): CursorInfo {
  const head = state.selection.main.head;
  const line = state.doc.lineAt(head);
  let problem: CursorInfo['problem'] = null;
  forEachDiagnostic(state, (d, from, to) => {
    if (to < line.from || from > line.to) return;
    if (!problem || (SEVERITY_RANK[d.severity] ?? 0) > (SEVERITY_RANK[problem.severity] ?? 0)) {
      problem = { severity: d.severity, message: d.message };
    }
  });
  return { line: line.number, column: head - line.from + 1, problem };
}

export function editorExtensions(o: SetupOptions): Extension[] {
  return [
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightSpecialChars(),
    history(),
    foldGutter({ markerDOM: (open) => {
      const s = document.createElement('span');
      s.className = `fold-marker ${open ? 'open' : 'closed'}`;
      s.textContent = open ? '▾' : '▸';
      s.title = open ? 'Fold' : 'Unfold';
      return s;
    } }),
    lintGutter(),
    drawSelection(),
    dropCursor(),
    EditorState.allowMultipleSelections.of(true),
    EditorState.tabSize.of(2),
    indentUnit.of('  '),
    indentOnInput(),
    syntaxHighlighting(highlight),
    bracketMatching(),
    closeBrackets(),
    autocompletion({ override: [openAPIKeys], activateOnTyping: true }),
    rectangularSelection(),
    crosshairCursor(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    search({ top: true }),
    keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap, ...foldKeymap, ...completionKeymap, ...lintKeymap, indentWithTab]),
    o.language.of(languageExtension(o.initialLanguage)),
    theme,
    EditorView.contentAttributes.of({ 'aria-label': o.label }),
    EditorView.updateListener.of((u) => {
      if (u.docChanged) {
        const doc = u.state.doc;
        o.onChange(() => doc.toString(), doc.length, doc);
      }
      if (o.onCursor && (u.selectionSet || u.docChanged || u.transactions.some((tr) => tr.effects.length > 0))) {
        o.onCursor(cursorInfo(u.state));
      }
    }),
  ];
}
