import type { ExchangeRow, StatusClass, TrafficFilter } from '../api';

export const PAGE_SIZE = 500;

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export const STATUS_CLASSES: readonly Exclude<StatusClass, ''>[] = ['2xx', '3xx', '4xx', '5xx'];

export function emptyFilter(): TrafficFilter {
  return { method: '', statusClass: '', text: '', api: '', limit: PAGE_SIZE, beforeId: '' };
}

/** "2xx" for 204 and so on; "" for statuses outside 100–599 (e.g. 0 when no response came). */
export function statusClassOf(status: number): StatusClass | '1xx' {
  if (status >= 100 && status < 200) return '1xx';
  if (status >= 200 && status < 600) return `${Math.floor(status / 100)}xx` as StatusClass;
  return '';
}

/** Whether a live row belongs in a list loaded with this filter (the same rules the Go side applies). */
export function matchesFilter(row: ExchangeRow, f: TrafficFilter): boolean {
  if (f.method && row.method.toUpperCase() !== f.method.toUpperCase()) return false;
  if (f.statusClass && statusClassOf(row.status) !== f.statusClass) return false;
  if (f.api && row.api !== f.api) return false;
  const text = f.text.trim().toLowerCase();
  if (text && !row.path.toLowerCase().includes(text) && !row.url.toLowerCase().includes(text)) return false;
  return true;
}

export function isFilterActive(f: TrafficFilter): boolean {
  return Boolean(f.method || f.statusClass || f.text.trim() || f.api);
}

/** Two filters select the same rows (limit and paging aside). */
export function sameSelection(a: TrafficFilter, b: TrafficFilter): boolean {
  return a.method === b.method && a.statusClass === b.statusClass && a.text.trim() === b.text.trim() && a.api === b.api;
}
