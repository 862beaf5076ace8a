import { describe, expect, it } from 'vitest';
import { isMac, label, matches, type KeyLike } from './keys';

const key = (k: string, mods: Partial<KeyLike> = {}): KeyLike => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });

describe('shortcuts', () => {
  it('Mod is Ctrl elsewhere and Cmd on macOS', () => {
    expect(matches(key('s', { ctrlKey: true }), 'Mod+S', false)).toBe(true);
    expect(matches(key('s', { metaKey: true }), 'Mod+S', false)).toBe(false);
    expect(matches(key('s', { metaKey: true }), 'Mod+S', true)).toBe(true);
    expect(matches(key('s', { ctrlKey: true }), 'Mod+S', true)).toBe(false);
  });
  it('needs the exact modifiers', () => {
    expect(matches(key('S', { ctrlKey: true, shiftKey: true }), 'Mod+S', false)).toBe(false);
    expect(matches(key('S', { ctrlKey: true, shiftKey: true }), 'Mod+Shift+S', false)).toBe(true);
    expect(matches(key('Enter', { ctrlKey: true }), 'Mod+Enter', false)).toBe(true);
    expect(matches(key('1', { ctrlKey: true, altKey: true }), 'Mod+1', false)).toBe(false);
  });
  it('writes labels per platform', () => {
    expect(label('Mod+S', false)).toBe('Ctrl+S');
    expect(label('Mod+Enter', true)).toBe('⌘↩');
    expect(isMac('MacIntel')).toBe(true);
    expect(isMac('Linux x86_64')).toBe(false);
  });
});
