// A tiny Markdown renderer for the fake backend's RenderDocs. It escapes
// everything first, so its output holds only the markup it adds itself.

import type { Node } from './tree';
import { child } from './tree';
import { HTTP_METHODS, type SpecInfo } from './check';

export function escapeHTML(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function inline(s: string): string {
  let out = escapeHTML(s);
  out = out.replace(/`([^`]+)`/g, '<code>$1</code>');
  out = out.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
  out = out.replace(/(^|[^*])\*([^*\s][^*]*)\*/g, '$1<em>$2</em>');
  out = out.replace(/\[([^\]]+)\]\((https?:[^)\s]+|#[^)\s]*)\)/g, '<a href="$2">$1</a>');
  return out;
}

export function markdownToHTML(md: string): string {
  const lines = md.replace(/\r\n/g, '\n').split('\n');
  const out: string[] = [];
  let para: string[] = [];
  let list: { tag: 'ul' | 'ol'; items: string[] } | null = null;
  const flushPara = () => {
    if (para.length) out.push(`<p>${inline(para.join(' '))}</p>`);
    para = [];
  };
  const flushList = () => {
    if (list) out.push(`<${list.tag}>${list.items.map((i) => `<li>${inline(i)}</li>`).join('')}</${list.tag}>`);
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const fence = /^```(\w*)/.exec(line);
    if (fence) {
      flushPara();
      flushList();
      const code: string[] = [];
      for (i++; i < lines.length && !(lines[i] as string).startsWith('```'); i++) code.push(lines[i] as string);
      out.push(`<pre><code>${escapeHTML(code.join('\n'))}</code></pre>`);
      continue;
    }
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    if (h) {
      flushPara();
      flushList();
      const level = (h[1] as string).length;
      out.push(`<h${level}>${inline(h[2] as string)}</h${level}>`);
      continue;
    }
    const li = /^\s*(?:([-*+])|(\d+)\.)\s+(.*)$/.exec(line);
    if (li) {
      flushPara();
      const tag = li[1] ? 'ul' : 'ol';
      if (list && list.tag !== tag) flushList();
      list ??= { tag, items: [] };
      list.items.push(li[3] as string);
      continue;
    }
    if (line.trim() === '') {
      flushPara();
      flushList();
      continue;
    }
    flushList();
    para.push(line.trim());
  }
  flushPara();
  flushList();
  return out.join('\n');
}

/** The documentation page of a spec: its info, then one section per operation. */
export function renderSpecDocs(info: SpecInfo, root: Node): string {
  const parts: string[] = [];
  parts.push(`<h1>${escapeHTML(info.title || 'Untitled API')}${info.version ? ` <small>${escapeHTML(info.version)}</small>` : ''}</h1>`);
  if (info.description) parts.push(markdownToHTML(info.description));
  for (const p of child(root, 'paths')?.children ?? []) {
    for (const op of p.children) {
      if (!HTTP_METHODS.includes(op.key)) continue;
      const summary = child(op, 'summary')?.value ?? '';
      const desc = child(op, 'description')?.value ?? '';
      const id = child(op, 'operationId')?.value ?? '';
      parts.push(`<section><h2><code>${op.key.toUpperCase()}</code> ${escapeHTML(p.key)}</h2>`);
      if (summary) parts.push(`<p><strong>${inline(summary)}</strong></p>`);
      if (desc) parts.push(markdownToHTML(desc));
      if (id) parts.push(`<p class="docs-opid">operationId: <code>${escapeHTML(id)}</code></p>`);
      parts.push('</section>');
    }
  }
  return parts.join('\n');
}
