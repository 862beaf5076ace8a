// @vitest-environment jsdom
import { act, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from '../App';
import { renderWithFake } from '../test/render';

async function openConsole(api = 'petstore') {
  const r = renderWithFake(<App />, { latencyMs: 0 });
  const apis = await screen.findByRole('listbox', { name: 'APIs' });
  await r.user.click(await within(apis).findByRole('option', { name: new RegExp(api) }));
  await r.user.keyboard('{Control>}3{/Control}');
  const ops = await screen.findByRole('listbox', { name: 'Operations' });
  return { ...r, ops };
}

describe('the Console tab', () => {
  it('builds a form from the operation, sends it through the gateway and records the exchange', async () => {
    const { user, ops, backend } = await openConsole();
    await act(async () => {
      await backend.gateway.Start('127.0.0.1:4010', []);
    });
    await user.click(within(ops).getByRole('option', { name: /^GET \/pets\/\{id\}/ }));
    const request = screen.getByRole('region', { name: 'Request' });
    const id = await within(request).findByRole('textbox', { name: /^id \(path\)/ });
    expect(id).toHaveValue('1');
    await user.clear(id);
    await user.type(id, 'rex');
    expect(within(request).getByText('"rex" is not an integer')).toBeInTheDocument();
    expect(within(request).getByRole('textbox', { name: 'URL' })).toHaveValue('/pets/rex');
    await user.clear(id);
    await user.type(id, '2');
    const before = backend.fake.exchanges().length;
    await user.click(within(request).getByRole('button', { name: 'Send' }));
    const status = await screen.findByRole('status', { name: 'Response status' });
    expect(status).toHaveTextContent('200');
    expect(within(screen.getByRole('region', { name: 'Response body' })).getByText(/"name": "Tom"/)).toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Spec check' })).toHaveTextContent('The response matches the spec.');
    expect(backend.fake.exchanges().length).toBe(before + 1);
    expect(backend.fake.exchanges().at(-1)?.path).toBe('/pets/2');
  });

  it('says why a request cannot go out', async () => {
    const { user, ops } = await openConsole();
    await user.click(within(ops).getByRole('option', { name: /^GET \/pets,/ }));
    const request = screen.getByRole('region', { name: 'Request' });
    await within(request).findByRole('textbox', { name: /^limit \(query\)/ });
    await user.click(within(request).getByRole('button', { name: 'Send' }));
    expect(await within(request).findByRole('alert')).toHaveTextContent('the gateway is not running');
  });

  it('edits environments and flags variables no environment sets', async () => {
    const { user, ops } = await openConsole();
    await user.click(within(ops).getByRole('option', { name: /^GET \/pets,/ }));
    const request = screen.getByRole('region', { name: 'Request' });
    await user.click(within(request).getByRole('button', { name: 'Add header' }));
    await user.type(within(request).getByRole('textbox', { name: 'Headers 1 name' }), 'Authorization');
    await user.type(within(request).getByRole('textbox', { name: 'Headers 1 value' }), 'Bearer {{{{token}}');
    expect(within(request).getByRole('alert')).toHaveTextContent('No environment sets {{token}}');

    await user.click(screen.getByRole('button', { name: 'Environments…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Environments' });
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'local');
    await user.type(within(dialog).getByRole('textbox', { name: 'Variables 2 value' }), 's3cret');
    await user.click(within(dialog).getByRole('button', { name: 'Save environment' }));
    await user.click(within(dialog).getByRole('button', { name: 'Close' }));
    const env = screen.getByRole('combobox', { name: 'Environment' });
    await waitFor(() => expect(env).toHaveValue('local'));
    expect(within(request).queryByRole('alert')).toBeNull();
  });

  it('saves a request with assertions and runs its suite', async () => {
    const { user, ops, backend } = await openConsole();
    await act(async () => {
      await backend.gateway.Start('127.0.0.1:4010', []);
    });
    await user.click(within(ops).getByRole('option', { name: /POST \/pets/ }));
    const request = screen.getByRole('region', { name: 'Request' });
    await waitFor(() => expect((within(request).getByRole('textbox', { name: /^Body/ }) as HTMLTextAreaElement).value).toContain('"name"'));
    await user.click(within(request).getByRole('button', { name: 'Send' }));
    await screen.findByRole('status', { name: 'Response status' });

    const save = screen.getByRole('region', { name: 'Save request' });
    // The answer suggested assertions: its status, and the spec check.
    expect(within(save).getByRole('combobox', { name: 'Assertion 1 kind' })).toHaveValue('status');
    expect(within(save).getByRole('textbox', { name: 'Assertion 1 status' })).toHaveValue('200');
    await user.click(within(save).getByRole('button', { name: 'Add assertion' }));
    await user.selectOptions(within(save).getByRole('combobox', { name: 'Assertion 3 kind' }), 'jsonPointer');
    await user.type(within(save).getByRole('textbox', { name: 'Assertion 3 json pointer' }), 'name');
    expect(within(save).getByRole('alert')).toHaveTextContent('a JSON pointer starts with "/"');
    await user.clear(within(save).getByRole('textbox', { name: 'Assertion 3 json pointer' }));
    await user.type(within(save).getByRole('textbox', { name: 'Assertion 3 json pointer' }), '/id');
    await user.clear(within(save).getByRole('textbox', { name: 'Request name' }));
    await user.type(within(save).getByRole('textbox', { name: 'Request name' }), 'add a pet');
    await user.click(within(save).getByRole('button', { name: 'Save request' }));

    const saved = await screen.findByRole('list', { name: 'Requests of suite smoke' });
    expect(within(saved).getByRole('button', { name: 'Open add a pet' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Run suite smoke' }));
    expect(await screen.findByText(/Suite smoke: 1 of 1 passed/)).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Suite run' })).toHaveAttribute('aria-selected', 'true');
  });

  it('runs the contract tests and shows each operation', async () => {
    const { user, backend } = await openConsole();
    await act(async () => {
      await backend.gateway.Start('127.0.0.1:4010', []);
    });
    await user.click(screen.getByRole('button', { name: 'Run contract tests' }));
    const results = await screen.findByRole('list', { name: 'Contract test results' });
    expect(within(results).getAllByRole('listitem').length).toBeGreaterThanOrEqual(4);
    expect(screen.getByText(/operations passed/)).toBeInTheDocument();

    // Only the picked operation.
    await user.click(within(screen.getByRole('listbox', { name: 'Operations' })).getByRole('option', { name: /^DELETE/ }));
    await user.click(await screen.findByRole('checkbox', { name: 'Only deletePet' }));
    await user.click(screen.getByRole('button', { name: 'Run contract tests' }));
    await waitFor(() => expect(screen.getByText(/of 1 operations passed/)).toBeInTheDocument());
  });
});
