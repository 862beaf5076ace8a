// Keyboard shortcuts written as "Mod+S", where Mod is Cmd on macOS and Ctrl elsewhere.

export function isMac(platform = typeof navigator === 'undefined' ? '' : navigator.platform): boolean {
  return /Mac|iPhone|iPad/.test(platform);
}

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** Whether event e is the shortcut spec ("Mod+Enter", "Mod+Shift+F", "Escape"). */
export function matches(e: KeyLike, spec: string, mac = isMac()): boolean {
  const parts = spec.split('+');
  const key = parts.pop() ?? '';
  const want = { mod: false, shift: false, alt: false };
  for (const p of parts) {
    if (p === 'Mod') want.mod = true;
    else if (p === 'Shift') want.shift = true;
    else if (p === 'Alt') want.alt = true;
  }
  const mod = mac ? e.metaKey : e.ctrlKey;
  const otherMod = mac ? e.ctrlKey : e.metaKey;
  if (mod !== want.mod || otherMod || e.shiftKey !== want.shift || e.altKey !== want.alt) return false;
  return e.key.toLowerCase() === key.toLowerCase();
}

/** How a shortcut is written for this platform: "⌘S" or "Ctrl+S". */
export function label(spec: string, mac = isMac()): string {
  const names: Record<string, string> = mac ? { Mod: '⌘', Shift: '⇧', Alt: '⌥', Enter: '↩' } : { Mod: 'Ctrl' };
  const parts = spec.split('+').map((p) => names[p] ?? p);
  return mac ? parts.join('') : parts.join('+');
}
