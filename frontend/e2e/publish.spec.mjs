import { assert, openApp, selectAPI } from './lib.mjs';

// Against the in-browser fake, its fake server; against the real desktop services, the
// `gantry server` e2e/desktop.mjs started (GANTRY_E2E_SERVER), checked through its API.
export default {
  name: 'log in and publish an API to a catalog',
  async run({ browser, url, fake }) {
    const server = process.env.GANTRY_E2E_SERVER;
    const token = fake ? 'secret' : process.env.GANTRY_E2E_SERVER_TOKEN;
    assert(fake || server, 'GANTRY_E2E_SERVER names the management server to publish to');
    const { context, page, errors } = await openApp(browser, url);
    try {
      await selectAPI(page, 'petstore');
      await page.getByRole('button', { name: 'Publish' }).click();
      const login = page.getByRole('dialog', { name: 'Log in to a management server' });
      if (!fake) await login.getByLabel('Server URL').fill(server);
      await login.getByLabel('Token').fill(token);
      await login.getByRole('button', { name: 'Log in' }).click();
      const dlg = page.getByRole('dialog', { name: 'Publish petstore' });
      await dlg.getByText(/petstore is new to dev/).waitFor();
      await dlg.getByRole('button', { name: 'Publish to dev' }).click();
      await dlg.getByText('Published revision 1 of petstore to dev.').waitFor();
      await dlg.getByRole('button', { name: 'Close' }).click();
      const row = page.getByRole('listbox', { name: 'APIs' }).getByRole('option').filter({ hasText: 'petstore' }).first();
      assert(/dev/.test(await row.innerText()), 'the API row shows its published revision in dev');
      if (!fake) {
        const res = await fetch(`${server}/api/v1/catalogs/dev/apis/petstore`, { headers: { Authorization: `Bearer ${token}` } });
        assert(res.status === 200, `the server has petstore in dev: ${res.status} ${await res.clone().text()}`);
        const { api, revision } = await res.json();
        assert(api.revision === 1 && api.state === 'published', `dev holds revision 1, published: ${JSON.stringify(api)}`);
        assert(revision.bundle?.files?.some((f) => f.content.includes('Swagger Petstore')), 'the revision holds the spec the desktop had');
      }
      // The Catalogs tab shows the revision and pulls it back: the workspace has it already.
      await page.getByRole('tab', { name: 'Catalogs' }).click();
      await page.getByRole('table', { name: 'Revisions of petstore' }).waitFor();
      await page.getByRole('button', { name: 'Pull petstore into the workspace' }).click();
      await page.getByRole('list', { name: 'Pull results' }).getByText('petstore: already revision 1 of dev').waitFor();
      assert(errors.length === 0, `no page errors: ${errors.join('; ')}`);
    } finally {
      await context.close();
    }
  },
};
