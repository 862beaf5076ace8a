import { memo, useState } from 'react';
import type { OutlineItem } from '../api';
import { Icon } from '../components/Icon';
import { Listbox } from '../components/Listbox';

export interface OutlineProps {
  items: readonly OutlineItem[];
  onJump(item: OutlineItem): void;
  /** Opens the operation form: for a new operation (null) or to edit item. */
  onEdit?(item: OutlineItem | null): void;
  onDelete?(item: OutlineItem): void;
}

const keyOf = (o: OutlineItem) => `${o.method} ${o.path}`;
const nameOf = (o: OutlineItem) => `${o.method.toUpperCase()} ${o.path}`;

export const Outline = memo(function Outline({ items, onJump, onEdit, onDelete }: OutlineProps) {
  const [selectedKey, setSelectedKey] = useState('');
  const selected = items.find((o) => keyOf(o) === selectedKey);
  return (
    <aside className="outline" aria-labelledby="outline-heading">
      <header className="panel-header">
        <h3 id="outline-heading">Operations</h3>
        <span className="muted">{items.length || ''}</span>
        {onEdit && (
          <span className="outline-actions">
            <button type="button" className="btn-icon" aria-label="Add operation" title="Add operation" onClick={() => onEdit(null)}>
              <Icon name="plus" />
            </button>
            <button
              type="button"
              className="btn-icon"
              aria-label={selected ? `Edit ${nameOf(selected)}` : 'Edit operation'}
              title={selected ? `Edit ${nameOf(selected)}` : 'Select an operation to edit it'}
              disabled={!selected}
              onClick={() => selected && onEdit(selected)}
            >
              <Icon name="edit" />
            </button>
            {onDelete && (
              <button
                type="button"
                className="btn-icon"
                aria-label={selected ? `Delete ${nameOf(selected)}` : 'Delete operation'}
                title={selected ? `Delete ${nameOf(selected)}` : 'Select an operation to delete it'}
                disabled={!selected}
                onClick={() => selected && onDelete(selected)}
              >
                <Icon name="trash" />
              </button>
            )}
          </span>
        )}
      </header>
      {items.length === 0 ? (
        <p className="panel-empty">No operations yet. {onEdit ? 'Add one with +, or under paths:.' : 'Add one under paths:.'}</p>
      ) : (
        <div
          className="outline-body"
          onKeyDown={(e) => {
            // On the list: E edits the selected operation, Delete deletes it.
            if (!selected || e.target !== e.currentTarget.firstElementChild || e.ctrlKey || e.metaKey || e.altKey) return;
            if (e.key === 'e' && onEdit) {
              e.preventDefault();
              onEdit(selected);
            } else if (e.key === 'Delete' && onDelete) {
              e.preventDefault();
              onDelete(selected);
            }
          }}
        >
          <Listbox
            items={items}
            getKey={keyOf}
            label="Operations"
            className="outline-list"
            selectedKey={selectedKey}
            selectOnMove
            onSelect={(o) => setSelectedKey(keyOf(o))}
            onActivate={onJump}
            render={(o) => (
              <div className="outline-item" title={o.summary || o.operationId} onDoubleClick={onEdit ? () => onEdit(o) : undefined}>
                <span className={`method method-${o.method.toLowerCase()}`}>{o.method}</span>
                <span className="outline-path">{o.path}</span>
                {(o.summary || o.operationId) && <span className="outline-sub">{o.summary || o.operationId}</span>}
              </div>
            )}
          />
        </div>
      )}
    </aside>
  );
});
