import { useEffect, useState } from 'react';
import { errorMessage } from '../api';
import { useBackend } from '../hooks/backend';
import { useNotify } from '../hooks/notify';
import { Icon } from './Icon';

/** An icon button that copies text and says so for a moment. */
export function CopyButton({ text, label, children }: { text: string; label: string; children?: React.ReactNode }) {
  const { platform } = useBackend();
  const { notify } = useNotify();
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(t);
  }, [copied]);
  return (
    <button
      type="button"
      className={children ? 'btn btn-small' : 'btn-icon'}
      aria-label={children ? undefined : label}
      title={label}
      onClick={() =>
        platform.copyText(text).then(
          () => setCopied(true),
          (e: unknown) => notify({ kind: 'error', title: 'Could not copy', detail: `${errorMessage(e)}. Select the text and copy it by hand.` }),
        )
      }
    >
      <Icon name={copied ? 'check' : 'copy'} />
      {children}
      <span className="sr-only" aria-live="polite">
        {copied ? 'Copied' : ''}
      </span>
    </button>
  );
}
