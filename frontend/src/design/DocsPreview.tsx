import { memo, useMemo, type MouseEvent } from 'react';
import { useBackend } from '../hooks/backend';
import { sanitizeHTML } from '../lib/sanitize';

export interface DocsPreviewProps {
  html: string;
  error: string;
  loading: boolean;
}

export const DocsPreview = memo(function DocsPreview({ html, error, loading }: DocsPreviewProps) {
  const { platform } = useBackend();
  const clean = useMemo(() => sanitizeHTML(html), [html]);
  const onClick = (e: MouseEvent<HTMLDivElement>) => {
    const a = (e.target as HTMLElement).closest('a');
    if (!a) return;
    const href = a.getAttribute('href') ?? '';
    e.preventDefault();
    if (href.startsWith('#')) {
      e.currentTarget.querySelector(`[id="${CSS.escape(href.slice(1))}"]`)?.scrollIntoView({ behavior: 'smooth' });
    } else if (/^(https?|mailto):/i.test(href)) {
      platform.openURL(href);
    }
  };
  return (
    <aside className="docs-pane" aria-labelledby="docs-heading" aria-busy={loading}>
      <header className="panel-header">
        <h3 id="docs-heading">Documentation preview</h3>
        {loading && <span className="muted">rendering…</span>}
      </header>
      {error && (
        <div role="alert" className="inline-alert">
          The docs could not be rendered: {error}
        </div>
      )}
      {!error && !clean && !loading && <p className="panel-empty">Nothing to show. Write a description under info: in Markdown.</p>}
      {/* The HTML comes sanitized from Go and passes an allowlist sanitizer again here. */}
      <div className="docs-content" onClick={onClick} dangerouslySetInnerHTML={{ __html: clean }} />
    </aside>
  );
});
