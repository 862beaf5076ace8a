import { useEffect, useState } from 'react';
import type { CatalogStatus } from '../api';
import { useBackend } from '../hooks/backend';
import { onHostedChanged } from './changed';

/** The API's published revision per catalog, and "stale" when the local copy is behind. */
export function PublishedBadges({ api, revision }: { api: string; revision: number }) {
  const { hosted } = useBackend();
  const [list, setList] = useState<CatalogStatus[]>([]);
  const [tick, setTick] = useState(0);
  useEffect(() => onHostedChanged(() => setTick((t) => t + 1)), []);
  useEffect(() => {
    let live = true;
    hosted.APIStatus(api).then(
      (l) => live && setList(l),
      () => live && setList([]),
    );
    return () => {
      live = false;
    };
  }, [hosted, api, revision, tick]);
  if (list.length === 0) return null;
  return (
    <div className="api-published" aria-label={`Published: ${list.map((s) => `${s.catalog} revision ${s.revision}${s.stale ? ', stale' : ''}`).join('; ')}`}>
      {list.map((s) => (
        <span key={s.catalog} className={s.stale ? 'badge badge-warn' : 'badge'} title={s.stale ? `${s.catalog} moved past this copy's base (revision ${s.baseRevision}): pull before publishing` : undefined}>
          {s.catalog} r{s.revision}
          {s.stale && ' · stale'}
        </span>
      ))}
    </div>
  );
}
