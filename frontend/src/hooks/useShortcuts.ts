import { useEffect, useRef } from 'react';
import { matches } from '../lib/keys';

export type Shortcuts = Record<string, (() => void) | undefined>;

/**
 * Window-level shortcuts ("Mod+S" → handler); an undefined handler is off.
 * They are heard in the capture phase, before the editor's own key bindings
 * (CodeMirror binds Mod-i and Mod-Enter), and not while a modal dialog is open.
 */
export function useShortcuts(map: Shortcuts): void {
  const ref = useRef(map);
  ref.current = map;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.isComposing || document.querySelector('[aria-modal="true"]')) return;
      for (const [spec, run] of Object.entries(ref.current)) {
        if (run && matches(e, spec)) {
          e.preventDefault();
          e.stopPropagation();
          run();
          return;
        }
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);
}
