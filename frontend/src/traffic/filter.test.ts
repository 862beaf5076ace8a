import { describe, expect, it } from 'vitest';
import type { ExchangeRow } from '../api';
import { emptyFilter, isFilterActive, matchesFilter, sameSelection, statusClassOf } from './filter';

const row = (over: Partial<ExchangeRow> = {}): ExchangeRow => ({
  id: 'x1',
  startedAt: '2026-01-01T00:00:00Z',
  api: 'petstore',
  method: 'GET',
  url: 'http://127.0.0.1:4010/petstore/pets/1?verbose=1',
  path: '/pets/1',
  status: 200,
  durationMs: 3,
  consumer: '',
  violations: 0,
  ...over,
});

describe('statusClassOf', () => {
  it.each([
    [200, '2xx'],
    [204, '2xx'],
    [301, '3xx'],
    [404, '4xx'],
    [599, '5xx'],
    [101, '1xx'],
    [0, ''],
    [700, ''],
  ])('%i is %s', (status, cls) => expect(statusClassOf(status)).toBe(cls));
});

describe('matchesFilter', () => {
  const f = emptyFilter();
  it('matches everything with an empty filter', () => {
    expect(matchesFilter(row(), f)).toBe(true);
  });
  it('filters by method, case-insensitively', () => {
    expect(matchesFilter(row(), { ...f, method: 'get' })).toBe(true);
    expect(matchesFilter(row(), { ...f, method: 'POST' })).toBe(false);
  });
  it('filters by status class', () => {
    expect(matchesFilter(row({ status: 404 }), { ...f, statusClass: '4xx' })).toBe(true);
    expect(matchesFilter(row({ status: 500 }), { ...f, statusClass: '4xx' })).toBe(false);
  });
  it('filters by API', () => {
    expect(matchesFilter(row(), { ...f, api: 'billing' })).toBe(false);
  });
  it('filters by text in the path or URL, trimmed and case-insensitive', () => {
    expect(matchesFilter(row(), { ...f, text: ' /PETS ' })).toBe(true);
    expect(matchesFilter(row(), { ...f, text: 'verbose' })).toBe(true);
    expect(matchesFilter(row(), { ...f, text: 'invoices' })).toBe(false);
  });
  it('combines every condition', () => {
    expect(matchesFilter(row({ method: 'POST', status: 201 }), { ...f, method: 'POST', statusClass: '2xx', text: 'pets', api: 'petstore' })).toBe(true);
  });
});

describe('filter state', () => {
  it('knows when a filter narrows the list', () => {
    expect(isFilterActive(emptyFilter())).toBe(false);
    expect(isFilterActive({ ...emptyFilter(), text: '  ' })).toBe(false);
    expect(isFilterActive({ ...emptyFilter(), statusClass: '5xx' })).toBe(true);
  });
  it('compares selections without limit and paging', () => {
    expect(sameSelection({ ...emptyFilter(), limit: 1, beforeId: 'a' }, emptyFilter())).toBe(true);
    expect(sameSelection({ ...emptyFilter(), method: 'GET' }, emptyFilter())).toBe(false);
  });
});
