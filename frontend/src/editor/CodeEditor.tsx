import { setDiagnostics } from '@codemirror/lint';
import { Compartment, EditorState } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { forwardRef, useEffect, useImperativeHandle, useRef, useState } from 'react';
import type { Diagnostic } from '../api';
import { toLintDiagnostics } from './diagnostics';
import { detectLanguage, type SpecLanguage } from './language';
import { cursorInfo, editorExtensions, languageExtension, type CursorInfo } from './setup';

export interface CodeEditorHandle {
  /** Moves the cursor to a 1-based line (and column), scrolls it to the middle and focuses the editor. */
  jumpTo(line: number, column?: number): void;
  focus(): void;
  getText(): string;
  /** Replaces the text as one undoable edit (only the changed middle is touched, so Undo restores it). */
  replaceText(text: string): void;
}

export interface CodeEditorProps {
  /** Text to show; the editor takes it again whenever textVersion changes. */
  text: string;
  textVersion: number;
  /** Diagnostics of the current text, and the file they are relative to. */
  diagnostics: readonly Diagnostic[];
  root: string;
  /** The text changed: read() returns it (lazily, so a keystroke does not copy a large document). */
  onChange(read: () => string, length: number): void;
  label: string;
}

/** CodeMirror 6 wrapped for React: created once, fed text and diagnostics through effects. */
export const CodeEditor = forwardRef<CodeEditorHandle, CodeEditorProps>(function CodeEditor(props, ref) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const language = useRef(new Compartment());
  const lang = useRef<SpecLanguage>(detectLanguage(props.text));
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;
  // The text the editor held when each version was applied (so a re-render with the same version is a no-op).
  const applied = useRef(-1);
  const [cursor, setCursor] = useState<CursorInfo>({ line: 1, column: 1, problem: null });

  useEffect(() => {
    if (!host.current) return;
    const v = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: props.text,
        extensions: editorExtensions({
          language: language.current,
          initialLanguage: lang.current,
          label: props.label,
          onCursor: setCursor,
          onChange: (read, length, doc) => {
            // The language follows the first non-blank character; a prefix usually tells it.
            const head = doc.sliceString(0, Math.min(length, 4096));
            const l = detectLanguage(/\S/.test(head) || length <= 4096 ? head : read());
            if (l !== lang.current) {
              lang.current = l;
              queueMicrotask(() => view.current?.dispatch({ effects: language.current.reconfigure(languageExtension(l)) }));
            }
            onChange.current(read, length);
          },
        }),
      }),
    });
    view.current = v;
    applied.current = props.textVersion;
    setCursor(cursorInfo(v.state));
    return () => {
      v.destroy();
      view.current = null;
    };
    // Created once per mount; later text arrives through the textVersion effect below.
  }, []);

  useEffect(() => {
    const v = view.current;
    if (!v || applied.current === props.textVersion) return;
    applied.current = props.textVersion;
    if (v.state.doc.toString() === props.text) return;
    const l = detectLanguage(props.text);
    const effects = l !== lang.current ? language.current.reconfigure(languageExtension(l)) : [];
    lang.current = l;
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.text }, effects });
  }, [props.text, props.textVersion]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    v.dispatch(setDiagnostics(v.state, toLintDiagnostics(props.diagnostics, v.state.doc, props.root)));
  }, [props.diagnostics, props.root]);

  useImperativeHandle(ref, () => ({
    jumpTo(line, column = 1) {
      const v = view.current;
      if (!v) return;
      const doc = v.state.doc;
      const l = doc.line(Math.min(Math.max(1, line), doc.lines));
      const pos = l.from + Math.min(Math.max(0, column - 1), l.length);
      v.dispatch({ selection: { anchor: pos }, effects: EditorView.scrollIntoView(pos, { y: 'center' }) });
      v.focus();
    },
    focus() {
      view.current?.focus();
    },
    getText() {
      return view.current?.state.doc.toString() ?? '';
    },
    replaceText(text) {
      const v = view.current;
      if (!v) return;
      const old = v.state.doc.toString();
      if (old === text) return;
      let start = 0;
      const max = Math.min(old.length, text.length);
      while (start < max && old.charCodeAt(start) === text.charCodeAt(start)) start++;
      let end = 0;
      while (end < max - start && old.charCodeAt(old.length - 1 - end) === text.charCodeAt(text.length - 1 - end)) end++;
      const insert = text.slice(start, text.length - end);
      v.dispatch({
        changes: { from: start, to: old.length - end, insert },
        selection: { anchor: start },
        effects: EditorView.scrollIntoView(start, { y: 'center' }),
        userEvent: 'input.replace',
      });
    },
  }));

  const p = cursor.problem;
  return (
    <div className="code-editor-wrap">
      <div className="code-editor" ref={host} data-language={lang.current} />
      <div className="editor-status" role="status" aria-label="Cursor">
        <span>
          Ln {cursor.line}, Col {cursor.column}
        </span>
        {p && (
          <span className={`editor-status-problem sev-${p.severity}`}>
            {p.severity}: {p.message}
          </span>
        )}
      </div>
    </div>
  );
});
