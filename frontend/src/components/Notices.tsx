import { useNotify } from '../hooks/notify';
import { Icon } from './Icon';

/** Errors (role=alert) and confirmations (role=status), stacked at the bottom right. */
export function Notices() {
  const { notices, dismiss } = useNotify();
  const errors = notices.filter((n) => n.kind === 'error');
  const infos = notices.filter((n) => n.kind !== 'error');
  return (
    <div className="notices">
      <div role="status" aria-live="polite" className="notice-stack">
        {infos.map((n) => (
          <div key={n.id} className={`notice notice-${n.kind}`}>
            <Icon name={n.kind === 'success' ? 'check' : 'info'} />
            <div className="notice-text">
              <strong>{n.title}</strong>
              {n.detail && <span>{n.detail}</span>}
            </div>
            <button type="button" className="btn-icon" aria-label="Dismiss" onClick={() => dismiss(n.id)}>
              <Icon name="close" />
            </button>
          </div>
        ))}
      </div>
      <div className="notice-stack">
        {errors.map((n) => (
          <div key={n.id} role="alert" className="notice notice-error">
            <Icon name="alert" />
            <div className="notice-text">
              <strong>{n.title}</strong>
              {n.detail && <span>{n.detail}</span>}
              {n.action && (
                <button
                  type="button"
                  className="btn btn-small"
                  onClick={() => {
                    n.action?.run();
                    dismiss(n.id);
                  }}
                >
                  {n.action.label}
                </button>
              )}
            </div>
            <button type="button" className="btn-icon" aria-label="Dismiss" onClick={() => dismiss(n.id)}>
              <Icon name="close" />
            </button>
          </div>
        ))}
      </div>
    </div>
  );
}
