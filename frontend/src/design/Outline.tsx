import type { OutlineItem } from '../api';
import { Listbox } from '../components/Listbox';

export function Outline({ items, onJump }: { items: readonly OutlineItem[]; onJump(item: OutlineItem): void }) {
  return (
    <aside className="outline" aria-labelledby="outline-heading">
      <header className="panel-header">
        <h3 id="outline-heading">Operations</h3>
        <span className="muted">{items.length || ''}</span>
      </header>
      {items.length === 0 ? (
        <p className="panel-empty">No operations yet. Add one under paths:.</p>
      ) : (
        <Listbox
          items={items}
          getKey={(o) => `${o.method} ${o.path}`}
          label="Operations"
          className="outline-list"
          onActivate={onJump}
          render={(o) => (
            <div className="outline-item" title={o.summary || o.operationId}>
              <span className={`method method-${o.method.toLowerCase()}`}>{o.method}</span>
              <span className="outline-path">{o.path}</span>
              {(o.summary || o.operationId) && <span className="outline-sub">{o.summary || o.operationId}</span>}
            </div>
          )}
        />
      )}
    </aside>
  );
}
