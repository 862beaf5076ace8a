// @vitest-environment jsdom
import { act, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from './App';
import { renderWithFake } from './test/render';

const sidebar = () => screen.getByRole('navigation', { name: 'Workspace' });
const apiList = () => within(sidebar()).getByRole('listbox', { name: 'APIs' });
const gatewayBar = () => screen.getByRole('contentinfo', { name: 'Gateway' });

describe('the app shell', () => {
  it('lists the workspace APIs with title, version, operations and link state', async () => {
    renderWithFake();
    const petstore = await within(apiList()).findByRole('option', { name: /petstore/ });
    expect(petstore).toHaveTextContent('Swagger Petstore');
    expect(petstore).toHaveTextContent('v1.0.0');
    expect(petstore).toHaveTextContent('4 ops');
    expect(within(petstore).getByLabelText('linked to ~/specs/petstore.yaml')).toBeTruthy();
    const billing = within(apiList()).getByRole('option', { name: /billing/ });
    expect(within(billing).queryByLabelText(/linked to/)).toBeNull();
  });

  it('says what to do when there are no APIs', async () => {
    renderWithFake(<App />, { empty: true });
    expect(await within(sidebar()).findByText('No APIs yet')).toBeTruthy();
    expect(within(sidebar()).getByText(/Import an OpenAPI file or create one/)).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'No API selected' })).toBeTruthy();
  });

  it('creates an API from a template, after checking the name', async () => {
    const { user } = renderWithFake();
    await within(apiList()).findByRole('option', { name: /petstore/ });
    await user.click(within(sidebar()).getByRole('button', { name: 'New API' }));
    const dialog = screen.getByRole('dialog', { name: 'New API' });
    const name = within(dialog).getByRole('textbox', { name: 'Name' });
    expect(document.activeElement).toBe(name);
    await user.type(name, 'Bad Name');
    await user.click(within(dialog).getByRole('button', { name: 'Create API' }));
    expect(within(dialog).getByRole('alert')).toHaveTextContent(/lowercase letters/);
    await user.clear(name);
    await user.type(name, 'petstore');
    await user.click(within(dialog).getByRole('button', { name: 'Create API' }));
    expect(within(dialog).getByRole('alert')).toHaveTextContent('An API named "petstore" already exists.');
    await user.clear(name);
    await user.type(name, 'orders');
    await user.click(within(dialog).getByRole('radio', { name: /Petstore/ }));
    await user.click(within(dialog).getByRole('button', { name: 'Create API' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const orders = await within(apiList()).findByRole('option', { name: /orders/ });
    expect(orders).toHaveAttribute('aria-selected', 'true');
    expect(orders).toHaveTextContent('4 ops');
    expect(await screen.findByRole('heading', { name: 'orders' })).toBeTruthy();
  });

  it('closes a dialog with Escape', async () => {
    const { user } = renderWithFake();
    await user.click(within(sidebar()).getByRole('button', { name: 'New API' }));
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('removes an API only after confirming', async () => {
    const { user } = renderWithFake();
    await user.click(await within(apiList()).findByRole('option', { name: /billing/ }));
    await user.click(within(sidebar()).getByRole('button', { name: 'Remove billing' }));
    const confirm = screen.getByRole('alertdialog', { name: 'Remove billing?' });
    await user.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(within(apiList()).getByRole('option', { name: /billing/ })).toBeTruthy();
    await user.click(within(sidebar()).getByRole('button', { name: 'Remove billing' }));
    await user.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Remove API' }));
    await waitFor(() => expect(within(apiList()).queryByRole('option', { name: /billing/ })).toBeNull());
    await waitFor(() => expect(within(apiList()).getByRole('option', { name: /petstore/ })).toHaveAttribute('aria-selected', 'true'));
  });

  it('moves through the API list with the arrow keys', async () => {
    const { user } = renderWithFake();
    const list = apiList();
    await within(list).findByRole('option', { name: /petstore/ });
    await waitFor(() => expect(within(list).getByRole('option', { name: /billing/ })).toHaveAttribute('aria-selected', 'true'));
    list.focus();
    await user.keyboard('{ArrowDown}');
    expect(within(list).getByRole('option', { name: /petstore/ })).toHaveAttribute('aria-selected', 'true');
    expect(list.getAttribute('aria-activedescendant')).toBe(within(list).getByRole('option', { name: /petstore/ }).id);
  });

  it('switches tabs by click, arrow keys and Ctrl+1/2', async () => {
    const { user } = renderWithFake();
    const design = screen.getByRole('tab', { name: 'Design' });
    const traffic = screen.getByRole('tab', { name: 'Traffic' });
    expect(design).toHaveAttribute('aria-selected', 'true');
    await user.keyboard('{Control>}2{/Control}');
    expect(traffic).toHaveAttribute('aria-selected', 'true');
    expect(screen.getByRole('tabpanel', { name: 'Traffic' })).toBeVisible();
    await user.keyboard('{Control>}1{/Control}');
    expect(design).toHaveAttribute('aria-selected', 'true');
    design.focus();
    await user.keyboard('{ArrowRight}');
    expect(traffic).toHaveAttribute('aria-selected', 'true');
    expect(document.activeElement).toBe(traffic);
    await user.click(design);
    expect(screen.getByRole('tabpanel', { name: 'Design' })).toBeVisible();
  });

  it('imports with Ctrl+I and selects the new API', async () => {
    const { user } = renderWithFake();
    await within(apiList()).findByRole('option', { name: /petstore/ });
    await user.keyboard('{Control>}i{/Control}');
    expect(await screen.findByText('Imported museum')).toBeTruthy();
    const museum = within(apiList()).getByRole('option', { name: /museum/ });
    await waitFor(() => expect(museum).toHaveAttribute('aria-selected', 'true'));
  });

  it('shows import progress while importing', async () => {
    const { user } = renderWithFake(<App />, { latencyMs: 5 });
    await within(apiList()).findByRole('option', { name: /petstore/ });
    await user.click(within(sidebar()).getByRole('button', { name: 'Import' }));
    const bar = await screen.findByRole('progressbar', { name: 'Import progress' });
    expect(bar.getAttribute('aria-valuetext')).toMatch(/reading file|resolving references|validating|storing revision/);
    await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull(), { timeout: 3000 });
  });

  it('explains a failed import in an alert', async () => {
    const { user, backend } = renderWithFake();
    await within(apiList()).findByRole('option', { name: /petstore/ });
    backend.fake.failNext('ChooseAndImport', 'loading spec "museum.yaml": line 3: mapping values are not allowed here');
    await user.click(within(sidebar()).getByRole('button', { name: 'Import' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Import failed');
    expect(alert).toHaveTextContent('mapping values are not allowed here');
    expect(alert).toHaveTextContent(/OpenAPI 3.x or Swagger 2.0/);
  });
});

describe('the gateway status bar', () => {
  it('starts and stops the gateway, showing the base URL', async () => {
    const { user } = renderWithFake();
    const bar = gatewayBar();
    expect(within(bar).getByRole('status')).toHaveTextContent('Gateway stopped');
    const listen = within(bar).getByRole('textbox', { name: 'Listen' });
    expect(listen).toHaveValue('127.0.0.1:4010');
    await user.clear(listen);
    await user.type(listen, '127.0.0.1:9999');
    await user.click(within(bar).getByRole('button', { name: 'Start gateway' }));
    await waitFor(() => expect(within(bar).getByRole('status')).toHaveTextContent('Gateway running'));
    expect(within(bar).getByLabelText('Gateway base URL')).toHaveTextContent('http://127.0.0.1:9999');
    expect(within(bar).getByRole('button', { name: 'Copy gateway base URL' })).toBeTruthy();
    expect(listen).toBeDisabled();
    await user.click(within(bar).getByRole('button', { name: '2 APIs' }));
    expect(within(bar).getByRole('list', { name: 'Served APIs' })).toHaveTextContent('http://127.0.0.1:9999/petstore');
    await user.keyboard('{Control>}{Enter}{/Control}');
    await waitFor(() => expect(within(bar).getByRole('status')).toHaveTextContent('Gateway stopped'));
  });

  it('shows why the gateway did not start', async () => {
    const { user, backend } = renderWithFake();
    backend.fake.failNext('Start', 'listen tcp 127.0.0.1:4010: bind: address already in use');
    await user.click(within(gatewayBar()).getByRole('button', { name: 'Start gateway' }));
    // As the Go side does, the status carries the failure too: still one alert.
    act(() => backend.fake.setGatewayError('listen tcp 127.0.0.1:4010: bind: address already in use'));
    const alert = await within(gatewayBar()).findByRole('alert');
    expect(alert).toHaveTextContent('Could not start the gateway: listen tcp 127.0.0.1:4010: bind: address already in use');
    await user.click(within(alert).getByRole('button', { name: 'Dismiss gateway error' }));
    expect(within(gatewayBar()).queryByRole('alert')).toBeNull();
  });

  it('shows a rejected reload while the gateway runs, and clears it on stop', async () => {
    const { user, backend } = renderWithFake();
    const bar = gatewayBar();
    await user.click(within(bar).getByRole('button', { name: 'Start gateway' }));
    await waitFor(() => expect(within(bar).getByRole('status')).toHaveTextContent('Gateway running'));
    act(() => backend.fake.setGatewayError('petstore.yaml:3:1: bad indentation'));
    const alert = await within(bar).findByRole('alert');
    expect(alert).toHaveTextContent('Reload rejected: petstore.yaml:3:1: bad indentation. The gateway keeps serving the last good routes');
    await user.click(within(bar).getByRole('button', { name: 'Stop gateway' }));
    await waitFor(() => expect(within(bar).getByRole('status')).toHaveTextContent('Gateway stopped'));
    expect(within(bar).queryByRole('alert')).toBeNull();
  });

  it('says why a gateway that was running stopped, not that a reload was rejected', async () => {
    const { user, backend } = renderWithFake();
    act(() => backend.fake.setGatewayError('accept tcp 127.0.0.1:4010: too many open files'));
    const alert = await within(gatewayBar()).findByRole('alert');
    expect(alert).toHaveTextContent('The gateway stopped: accept tcp 127.0.0.1:4010: too many open files');
    expect(alert).not.toHaveTextContent('Reload rejected');
    await user.click(within(alert).getByRole('button', { name: 'Dismiss gateway error' }));
    expect(within(gatewayBar()).queryByRole('alert')).toBeNull();
  });
});
