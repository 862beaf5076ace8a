import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';

export interface Notice {
  id: number;
  kind: 'error' | 'info' | 'success';
  title: string;
  /** What happened, and what to do about it. */
  detail?: string;
  action?: { label: string; run: () => void };
}

interface NotifyAPI {
  notify(n: Omit<Notice, 'id'>): void;
  dismiss(id: number): void;
  notices: Notice[];
}

const Ctx = createContext<NotifyAPI | null>(null);

const INFO_MS = 4000;

export function NotifyProvider({ children }: { children: ReactNode }) {
  const [notices, setNotices] = useState<Notice[]>([]);
  const seq = useRef(0);
  const dismiss = useCallback((id: number) => setNotices((ns) => ns.filter((n) => n.id !== id)), []);
  const notify = useCallback(
    (n: Omit<Notice, 'id'>) => {
      const id = ++seq.current;
      setNotices((ns) => [...ns.filter((o) => !(o.title === n.title && o.detail === n.detail)), { ...n, id }].slice(-4));
      if (n.kind !== 'error') setTimeout(() => dismiss(id), INFO_MS);
    },
    [dismiss],
  );
  const value = useMemo(() => ({ notify, dismiss, notices }), [notify, dismiss, notices]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useNotify(): NotifyAPI {
  const c = useContext(Ctx);
  if (!c) throw new Error('useNotify outside NotifyProvider');
  return c;
}
