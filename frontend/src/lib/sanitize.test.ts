// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { safeURL, sanitizeHTML } from './sanitize';

describe('sanitizeHTML', () => {
  it('keeps document markup', () => {
    const html = '<h1 id="t">Title</h1><p>Some <strong>bold</strong> and <code>code</code>.</p><ul><li>a</li></ul>';
    expect(sanitizeHTML(html)).toBe(html);
  });

  it('drops scripts, styles, handlers and unknown attributes', () => {
    const out = sanitizeHTML('<p onclick="x()" style="color:red">hi<script>alert(1)</script></p><style>p{}</style><iframe src="x"></iframe>');
    expect(out).toBe('<p>hi</p>');
  });

  it('unwraps unknown tags but keeps their text', () => {
    expect(sanitizeHTML('<custom-el><b>x</b></custom-el>')).toBe('<b>x</b>');
  });

  it('removes unsafe link and image URLs and marks external links', () => {
    expect(sanitizeHTML('<a href="javascript:alert(1)">x</a>')).toBe('<a>x</a>');
    expect(sanitizeHTML('<a href="https://example.com">x</a>')).toBe('<a href="https://example.com" rel="noopener noreferrer">x</a>');
    expect(sanitizeHTML('<a href="#ops">x</a>')).toBe('<a href="#ops">x</a>');
    expect(sanitizeHTML('<img src="data:text/html;base64,AAA" alt="a">')).toBe('<img alt="a">');
  });

  it('judges URLs', () => {
    expect(safeURL('mailto:a@b.c')).toBe(true);
    expect(safeURL(' JAVASCRIPT:x')).toBe(false);
    expect(safeURL('data:image/png;base64,AA', true)).toBe(true);
    expect(safeURL('vbscript:x')).toBe(false);
  });
});
