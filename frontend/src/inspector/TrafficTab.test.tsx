// @vitest-environment jsdom
import { act, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { App } from '../App';
import type { ExchangeDetail } from '../api';
import { exchangeFrom, mockAnswer } from '../fake/mock';
import { renderWithFake } from '../test/render';

async function openTraffic(opts = {}) {
  const r = renderWithFake(<App />, opts);
  await r.user.keyboard('{Control>}2{/Control}');
  const list = await screen.findByRole('listbox', { name: 'Exchanges' });
  return { ...r, list };
}

function exchange(path: string, method = 'GET', body = ''): ExchangeDetail {
  const req = { api: 'petstore', method, path, headers: [['Content-Type', 'application/json']] as [string, string][], body };
  return exchangeFrom('', new Date(), 'http://127.0.0.1:4010/petstore', req, mockAnswer(req), 3.2);
}

describe('the Traffic tab', () => {
  it('lists the captured exchanges, newest first, rendering only the visible rows', async () => {
    const { list } = await openTraffic({ seedTraffic: 5000 });
    await waitFor(() => expect(within(list).getAllByRole('option').length).toBeGreaterThan(10));
    const rows = within(list).getAllByRole('option');
    expect(rows.length).toBeLessThan(60);
    expect(rows[0]).toHaveAttribute('aria-posinset', '1');
    expect(rows[0]).toHaveAttribute('aria-setsize', '500');
    expect(screen.getByText('500 exchanges')).toBeInTheDocument();
  });

  it('filters by method, status class, path text and API', async () => {
    const { user, list } = await openTraffic();
    const filters = screen.getByRole('search', { name: 'Filter traffic' });
    await user.selectOptions(within(filters).getByRole('combobox', { name: 'Method' }), 'POST');
    await waitFor(() => within(list).getAllByRole('option').forEach((o) => expect(o).toHaveTextContent('POST')));
    await user.selectOptions(within(filters).getByRole('combobox', { name: 'Status' }), '4xx');
    await waitFor(() => within(list).getAllByRole('option').forEach((o) => expect(o).toHaveTextContent(/POST\s*400/)));
    await user.selectOptions(within(filters).getByRole('combobox', { name: 'Method' }), '');
    await user.selectOptions(within(filters).getByRole('combobox', { name: 'Status' }), '');
    await user.type(within(filters).getByRole('searchbox', { name: 'Path' }), 'rex');
    await waitFor(() => within(list).getAllByRole('option').forEach((o) => expect(o).toHaveTextContent('/pets/rex')));
    await user.selectOptions(within(filters).getByRole('combobox', { name: 'API' }), 'billing');
    expect(await within(list).findByText('No exchanges match these filters.')).toBeInTheDocument();
    await user.click(within(list).getByRole('button', { name: 'Clear filters' }));
    await waitFor(() => expect(within(list).getAllByRole('option').length).toBeGreaterThan(10));
  });

  it('shows live exchanges as they arrive, keeping the filter', async () => {
    const { backend, user, list } = await openTraffic();
    await user.selectOptions(screen.getByRole('combobox', { name: 'Method' }), 'DELETE');
    await waitFor(() => within(list).getAllByRole('option').forEach((o) => expect(o).toHaveTextContent('DELETE')));
    act(() => backend.fake.addExchanges([exchange('/pets/777', 'DELETE'), exchange('/pets/778', 'GET')]));
    expect(await within(list).findByRole('option', { name: /\/pets\/777/ })).toHaveAttribute('aria-posinset', '1');
    expect(within(list).queryByRole('option', { name: /\/pets\/778/ })).toBeNull();
  });

  it('shows the selected exchange in detail, with violations and pretty bodies', async () => {
    const { backend, user, list } = await openTraffic();
    act(() => backend.fake.addExchanges([exchange('/pets', 'POST', '{"tag":"fish"}')]));
    await waitFor(() => expect(within(list).getAllByRole('option')[0]).toHaveTextContent(/POST\s*400/));
    await user.click(within(list).getAllByRole('option')[0] as HTMLElement);
    const pane = screen.getByRole('complementary', { name: 'Exchange details' });
    await within(pane).findByRole('heading', { name: /1 violation of the spec/ });
    expect(within(pane).getByText(/property "name" is required/)).toBeInTheDocument();
    expect(within(pane).getByText('/pets', { selector: 'code' })).toBeInTheDocument();
    const response = within(pane).getByRole('region', { name: 'Response' });
    expect(within(response).getByLabelText('response body').textContent).toContain('{\n  "type": "about:blank",');
    const request = within(pane).getByRole('region', { name: 'Request' });
    expect(within(request).getByRole('rowheader', { name: 'Content-Type' })).toBeInTheDocument();
  });

  it('moves the selection with the arrow keys', async () => {
    const { user, list } = await openTraffic();
    await waitFor(() => expect(within(list).getAllByRole('option').length).toBeGreaterThan(3));
    list.focus();
    await user.keyboard('{ArrowDown}');
    expect(within(list).getAllByRole('option')[0]).toHaveAttribute('aria-selected', 'true');
    await user.keyboard('{ArrowDown}{ArrowDown}');
    const selected = within(list).getByRole('option', { selected: true });
    expect(selected).toHaveAttribute('aria-posinset', '3');
    expect(list).toHaveAttribute('aria-activedescendant', selected.id);
    await user.keyboard('{Home}');
    expect(within(list).getByRole('option', { selected: true })).toHaveAttribute('aria-posinset', '1');
  });

  it('copies an exchange as curl and replays it', async () => {
    const { backend, user, list } = await openTraffic();
    const copy = vi.spyOn(backend.platform, 'copyText').mockResolvedValue();
    await user.click(within(screen.getByRole('contentinfo', { name: 'Gateway' })).getByRole('button', { name: 'Start gateway' }));
    await user.click((await within(list).findAllByRole('option'))[0] as HTMLElement);
    const pane = screen.getByRole('complementary', { name: 'Exchange details' });
    await user.click(await within(pane).findByRole('button', { name: 'Copy as curl' }));
    await waitFor(() => expect(copy).toHaveBeenCalledWith(expect.stringMatching(/^curl /)));
    expect(await screen.findByText('Copied as curl')).toBeInTheDocument();
    const before = backend.fake.exchanges().length;
    await user.click(within(pane).getByRole('button', { name: 'Replay' }));
    await waitFor(() => expect(backend.fake.exchanges().length).toBe(before + 1));
    await waitFor(() => expect(within(list).getByRole('option', { selected: true })).toHaveAttribute('aria-posinset', '1'));
  });

  it('exports the filtered traffic as HAR', async () => {
    const { backend, user } = await openTraffic();
    const exportHAR = vi.spyOn(backend.traffic, 'ExportHAR');
    await user.selectOptions(screen.getByRole('combobox', { name: 'Status' }), '2xx');
    await user.click(screen.getByRole('button', { name: 'Export HAR' }));
    expect(await screen.findByText('HAR exported')).toBeInTheDocument();
    expect(screen.getByText(/The filtered exchanges were written to/)).toBeInTheDocument();
    expect(exportHAR).toHaveBeenCalledWith(expect.objectContaining({ statusClass: '2xx', limit: 0, beforeId: '' }));
  });

  it('exports with the path text as typed, even before the list caught up', async () => {
    const { backend, user } = await openTraffic();
    const exportHAR = vi.spyOn(backend.traffic, 'ExportHAR');
    await user.type(screen.getByRole('searchbox', { name: 'Path' }), '/pets/7');
    await user.click(screen.getByRole('button', { name: 'Export HAR' }));
    expect(await screen.findByText('HAR exported')).toBeInTheDocument();
    expect(exportHAR).toHaveBeenCalledWith(expect.objectContaining({ text: '/pets/7' }));
  });

  it('clears all traffic after confirming', async () => {
    const { user, list } = await openTraffic();
    await waitFor(() => expect(within(list).getAllByRole('option').length).toBeGreaterThan(3));
    await user.click(screen.getByRole('button', { name: 'Clear' }));
    await user.click(within(screen.getByRole('alertdialog', { name: 'Clear all traffic?' })).getByRole('button', { name: 'Clear traffic' }));
    expect(await within(list).findByText('No traffic yet.')).toBeInTheDocument();
    expect(within(list).queryAllByRole('option')).toHaveLength(0);
  });

  it('tells what to do when there is no traffic', async () => {
    const { user, list } = await openTraffic({ empty: true });
    expect(await within(list).findByText(/Start the gateway/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Start gateway' }));
    expect(await within(list).findByText('Waiting for traffic.')).toBeInTheDocument();
  });
});
