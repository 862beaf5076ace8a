// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { renderWithFake } from '../test/render';

async function openPetstore() {
  const r = renderWithFake();
  const list = screen.getByRole('listbox', { name: 'APIs' });
  await r.user.click(await within(list).findByRole('option', { name: /petstore/ }));
  await screen.findByRole('textbox', { name: 'Spec of petstore' });
  return r;
}

describe('publishing', () => {
  it('logs in, publishes, then refuses a breaking change until allowed with a reason', async () => {
    const r = await openPetstore();
    await r.user.click(screen.getByRole('button', { name: 'Publish' }));
    const login = await screen.findByRole('dialog', { name: 'Log in to a management server' });
    await r.user.type(within(login).getByLabelText('Token'), 'wrong');
    await r.user.click(within(login).getByRole('button', { name: 'Log in' }));
    expect(await within(login).findByRole('alert')).toHaveTextContent('401');
    await r.user.clear(within(login).getByLabelText('Token'));
    await r.user.type(within(login).getByLabelText('Token'), 'secret');
    await r.user.click(within(login).getByRole('button', { name: 'Log in' }));

    const dlg = await screen.findByRole('dialog', { name: 'Publish petstore' });
    expect(within(dlg).getByLabelText('Target catalog')).toHaveValue('dev');
    expect(await within(dlg).findByText(/petstore is new to dev/)).toBeInTheDocument();
    await r.user.click(within(dlg).getByRole('button', { name: 'Publish to dev' }));
    expect(await within(dlg).findByText('Published revision 1 of petstore to dev.')).toBeInTheDocument();
    await r.user.click(within(dlg).getByRole('button', { name: 'Close' }));
    const row = within(screen.getByRole('listbox', { name: 'APIs' })).getByRole('option', { name: /petstore/ });
    expect(await within(row).findByLabelText('Published: dev revision 1')).toBeInTheDocument();

    // Drop a path and save: a breaking change.
    const text = (await r.backend.workspace.Document('petstore')).text;
    const i = text.indexOf('  /pets/{id}:');
    const j = text.indexOf('\ncomponents:', i) + 1;
    await r.backend.workspace.Save('petstore', text.slice(0, i) + text.slice(j));
    await r.user.click(screen.getByRole('button', { name: 'Publish' }));
    const d2 = await screen.findByRole('dialog', { name: 'Publish petstore' });
    const changes = await within(d2).findByRole('list', { name: 'Changes' });
    const first = within(changes).getAllByRole('listitem')[0];
    expect(first).toHaveTextContent('breaking');
    expect(first).toHaveTextContent('/pets/{id}');
    expect(first).toHaveTextContent('#/paths/~1pets~1{id}');
    await r.user.click(within(d2).getByRole('button', { name: 'Publish to dev' }));
    expect(await within(d2).findByRole('alert')).toHaveTextContent('breaking-changes');
    await r.user.click(within(d2).getByRole('checkbox', { name: 'Allow breaking changes' }));
    expect(within(d2).getByRole('button', { name: 'Publish to dev' })).toBeDisabled();
    await r.user.type(within(d2).getByRole('textbox', { name: /Reason/ }), 'v2 cleanup');
    await r.user.click(within(d2).getByRole('button', { name: 'Publish to dev' }));
    expect(await within(d2).findByText('Published revision 2 of petstore to dev.')).toBeInTheDocument();
  });

  it('marks a stale local copy and lists catalogs with revisions and nodes', async () => {
    const r = await openPetstore();
    r.backend.fake.loginAs('admin');
    const text = (await r.backend.workspace.Document('petstore')).text;
    r.backend.fake.publishElsewhere('prod', 'petstore', text + '\n# elsewhere\n');
    await r.user.click(screen.getByRole('tab', { name: 'Catalogs' }));
    const cat = await screen.findByLabelText('Catalog');
    await r.user.selectOptions(cat, 'prod');
    expect(await screen.findByRole('table', { name: 'Revisions of petstore' })).toHaveTextContent('someone-else');
    expect(screen.getByRole('table', { name: 'Nodes' })).toHaveTextContent('prod-node-1');
    await r.user.click(screen.getByRole('tab', { name: 'Design' }));
    await r.user.click(screen.getByRole('button', { name: 'Publish' }));
    const dlg = await screen.findByRole('dialog', { name: 'Publish petstore' });
    await r.user.selectOptions(within(dlg).getByLabelText('Target catalog'), 'prod');
    await waitFor(() => expect(within(dlg).getByRole('alert')).toHaveTextContent(/Stale/));

    // Pulling the catalog's revision as the base keeps the local text and clears the staleness.
    await r.user.click(within(dlg).getByRole('button', { name: 'Pull revision 1 as the base' }));
    await waitFor(() => expect(within(dlg).queryByRole('alert')).toBeNull());
    expect((await r.backend.workspace.Document('petstore')).text).toBe(text);
    await r.user.click(within(dlg).getByRole('button', { name: 'Publish to prod' }));
    expect(await within(dlg).findByText('Published revision 2 of petstore to prod.')).toBeInTheDocument();
  });

  it('pulls a catalog into the workspace, keeping local changes, after which a publish is no longer stale', async () => {
    const r = await openPetstore();
    r.backend.fake.loginAs('admin');
    const text = (await r.backend.workspace.Document('petstore')).text;
    r.backend.fake.publishElsewhere('prod', 'petstore', text + '\n# elsewhere\n');
    r.backend.fake.publishElsewhere('prod', 'orders', text.replace('title: Swagger Petstore', 'title: Orders'));
    await r.user.click(screen.getByRole('tab', { name: 'Catalogs' }));
    await r.user.selectOptions(await screen.findByLabelText('Catalog'), 'prod');
    await r.user.click(await screen.findByRole('button', { name: 'Pull all into the workspace' }));
    const results = await screen.findByRole('list', { name: 'Pull results' });
    expect(results).toHaveTextContent('orders: added revision 1 of prod to the workspace');
    expect(results).toHaveTextContent(/petstore: local changes kept \(the local copy was never published to or pulled from this catalog\); revision 1 is now the base/);
    expect(await within(screen.getByRole('listbox', { name: 'APIs' })).findByRole('option', { name: /orders/ })).toBeInTheDocument();
    expect((await r.backend.workspace.Document('petstore')).text).toBe(text);

    // Pulling one API again: now up to date.
    await r.user.click(screen.getByRole('button', { name: 'Pull orders into the workspace' }));
    expect(await screen.findByText('orders: already revision 1 of prod')).toBeInTheDocument();

    // The local petstore is based on prod's revision now: publishing it is not stale.
    await r.user.click(within(screen.getByRole('listbox', { name: 'APIs' })).getByRole('option', { name: /petstore/ }));
    await r.user.click(screen.getByRole('tab', { name: 'Design' }));
    await r.user.click(screen.getByRole('button', { name: 'Publish' }));
    const dlg = await screen.findByRole('dialog', { name: 'Publish petstore' });
    await r.user.selectOptions(within(dlg).getByLabelText('Target catalog'), 'prod');
    await r.user.click(await within(dlg).findByRole('button', { name: 'Publish to prod' }));
    expect(await within(dlg).findByText('Published revision 2 of petstore to prod.')).toBeInTheDocument();
  });
});
