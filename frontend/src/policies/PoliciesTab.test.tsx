// @vitest-environment jsdom
import { act, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from '../App';
import { renderWithFake } from '../test/render';

async function openPolicies() {
  const r = renderWithFake(<App />, { latencyMs: 0 });
  const apis = await screen.findByRole('listbox', { name: 'APIs' });
  await r.user.click(await within(apis).findByRole('option', { name: /petstore/ }));
  await r.user.keyboard('{Control>}4{/Control}');
  await screen.findByRole('combobox', { name: 'Applies to' });
  return r;
}

describe('the Policies tab', () => {
  it('shows the field a setting is refused at, and applies a good one', async () => {
    const { user, backend } = await openPolicies();
    await user.selectOptions(screen.getByRole('combobox', { name: 'Policy to add' }), 'rateLimit');
    await user.click(screen.getByRole('button', { name: 'Add policy' }));
    const policy = screen.getByRole('group', { name: 'Rate limit (rateLimit)' });
    expect(within(policy).getByRole('textbox', { name: /^requests/ })).toHaveValue('100');
    const window = within(policy).getByRole('textbox', { name: /^window/ });
    await user.clear(window);
    await user.type(window, 'soon');
    await user.click(screen.getByRole('button', { name: 'Apply policies' }));
    await waitFor(() => expect(window).toHaveAttribute('aria-invalid', 'true'));
    expect(within(policy).getByText(/"soon" is not a duration/)).toBeInTheDocument();

    await user.clear(window);
    await user.type(window, '1m');
    await user.click(screen.getByRole('button', { name: 'Apply policies' }));
    await waitFor(async () => expect((await backend.policies.Get('petstore')).policies).toEqual([{ name: 'rateLimit', settings: { requests: 100, window: '1m' } }]));
  });

  it('needs a consumer for keyAuth; then a request without a key is refused', async () => {
    const { user, backend } = await openPolicies();
    await user.selectOptions(screen.getByRole('combobox', { name: 'Applies to' }), 'findPetById');
    await user.selectOptions(screen.getByRole('combobox', { name: 'Policy to add' }), 'keyAuth');
    await user.click(screen.getByRole('button', { name: 'Add policy' }));
    await user.type(within(screen.getByRole('group', { name: 'API key (keyAuth)' })).getByRole('textbox', { name: /^name/ }), 'X-Key');
    await user.click(screen.getByRole('button', { name: 'Apply policies' }));
    expect(await screen.findByText('no consumers are configured, so no API key could be accepted')).toBeInTheDocument();

    await user.type(screen.getByRole('textbox', { name: 'Consumer name' }), 'mobile');
    await user.type(screen.getByRole('textbox', { name: 'API key (empty: generate one)' }), 'k-1');
    await user.click(screen.getByRole('button', { name: 'Add API key' }));
    expect(await screen.findByLabelText('New API key')).toHaveTextContent('k-1');
    // The form is ready for the next consumer; the message still names this one.
    expect(screen.getByRole('textbox', { name: 'Consumer name' })).toHaveValue('');
    expect(screen.getByRole('textbox', { name: 'API key (empty: generate one)' })).toHaveValue('');
    await user.click(screen.getByRole('button', { name: 'Apply policies' }));
    await waitFor(async () => expect((await backend.policies.Get('petstore')).operations.find((o) => o.id === 'findPetById')?.policies).toHaveLength(1));

    await act(async () => {
      await backend.gateway.Start('127.0.0.1:4010', []);
    });
    const req = { name: 'r', description: '', operationId: 'findPetById', method: 'GET', url: '/pets/1', headers: [], query: [], body: '', capture: {}, assert: [], file: '' };
    expect((await backend.console.Send('petstore', req, { url: '', environment: '' })).status).toBe(401);
    expect((await backend.console.Send('petstore', { ...req, headers: [{ name: 'X-Key', value: 'k-1' }] }, { url: '', environment: '' })).status).toBe(200);
  });

  it('turns request validation off and on', async () => {
    const { user, backend } = await openPolicies();
    const box = screen.getByRole('checkbox', { name: 'Validate requests against the spec' });
    expect(box).toBeChecked();
    await user.click(box);
    await waitFor(async () => expect((await backend.policies.Get('petstore')).validate).toBe(false));
    await waitFor(() => expect(box).not.toBeChecked());
  });
});
