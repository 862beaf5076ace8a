// A second, allowlist-based pass over HTML the Go side already sanitized
// (rendered spec documentation), before it goes into the page.

const ALLOWED_TAGS = new Set([
  'a', 'abbr', 'b', 'blockquote', 'br', 'code', 'dd', 'del', 'div', 'dl', 'dt', 'em', 'h1', 'h2', 'h3', 'h4',
  'h5', 'h6', 'hr', 'i', 'img', 'kbd', 'li', 'ol', 'p', 'pre', 's', 'section', 'small', 'span', 'strong', 'sub',
  'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'ul', 'details', 'summary',
]);

const ALLOWED_ATTRS: Record<string, Set<string>> = {
  '*': new Set(['id', 'class', 'title', 'lang', 'dir']),
  a: new Set(['href', 'name']),
  img: new Set(['src', 'alt', 'width', 'height']),
  td: new Set(['colspan', 'rowspan', 'align']),
  th: new Set(['colspan', 'rowspan', 'align', 'scope']),
  ol: new Set(['start']),
};

/** Tags whose content is dropped along with them. */
const DROP_WITH_CONTENT = new Set(['script', 'style', 'iframe', 'object', 'embed', 'template', 'noscript', 'svg', 'math', 'form']);

export function safeURL(url: string, forImage = false): boolean {
  const u = url.trim().toLowerCase();
  if (u.startsWith('#') || u.startsWith('/') || u.startsWith('./') || u.startsWith('../')) return !forImage || !u.startsWith('#');
  if (forImage) return u.startsWith('https:') || u.startsWith('http:') || u.startsWith('data:image/png') || u.startsWith('data:image/jpeg') || u.startsWith('data:image/gif');
  return u.startsWith('https:') || u.startsWith('http:') || u.startsWith('mailto:');
}

function clean(node: Node, doc: globalThis.Document): Node | null {
  if (node.nodeType === Node.TEXT_NODE) return doc.createTextNode(node.textContent ?? '');
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  const el = node as Element;
  const tag = el.tagName.toLowerCase();
  if (DROP_WITH_CONTENT.has(tag)) return null;
  const kids = [...el.childNodes].map((c) => clean(c, doc)).filter((c): c is Node => c !== null);
  if (!ALLOWED_TAGS.has(tag)) {
    const frag = doc.createDocumentFragment();
    for (const k of kids) frag.appendChild(k);
    return frag;
  }
  const out = doc.createElement(tag);
  for (const attr of [...el.attributes]) {
    const name = attr.name.toLowerCase();
    if (!ALLOWED_ATTRS['*']?.has(name) && !ALLOWED_ATTRS[tag]?.has(name)) continue;
    if ((name === 'href' || name === 'src') && !safeURL(attr.value, name === 'src')) continue;
    out.setAttribute(name, attr.value);
  }
  if (tag === 'a' && out.getAttribute('href') && !out.getAttribute('href')?.startsWith('#')) out.setAttribute('rel', 'noopener noreferrer');
  for (const k of kids) out.appendChild(k);
  return out;
}

/** Sanitized HTML: only plain document markup, no scripts, handlers, styles or unsafe URLs. */
export function sanitizeHTML(html: string): string {
  const parsed = new DOMParser().parseFromString(`<!doctype html><body>${html}`, 'text/html');
  const holder = document.createElement('div');
  for (const c of [...parsed.body.childNodes]) {
    const k = clean(c, document);
    if (k) holder.appendChild(k);
  }
  return holder.innerHTML;
}
