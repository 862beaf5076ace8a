import { assert, ensureGateway, eventually, MOD, openApp, selectAPI } from './lib.mjs';

/** A request to the mock with a path no other exchange has. */
export async function sendUniqueRequest(page) {
  await selectAPI(page, 'petstore');
  await ensureGateway(page);
  const base = (await page.getByLabel('Mock base URL').first().innerText()).trim();
  assert(/^https?:\/\//.test(base), `the mock base URL is shown, got ${JSON.stringify(base)}`);
  const id = String(100000000 + Math.floor(Math.random() * 800000000));
  const res = await fetch(`${base}/pets/${id}`, { headers: { Accept: 'application/json', 'X-E2E': 'gantry' } });
  assert(res.status < 500, `the mock answered ${res.status}`);
  await res.arrayBuffer();
  return { base, id };
}

export default {
  name: 'an exchange sent to the mock arrives in the inspector',
  async run({ browser, url }) {
    const { context, page, errors } = await openApp(browser, url);
    try {
      const { id } = await sendUniqueRequest(page);
      await page.keyboard.press(`${MOD}+2`);
      const list = page.getByRole('listbox', { name: 'Exchanges' });
      const row = list.getByRole('option').filter({ hasText: `/pets/${id}` });
      await eventually(async () => (await row.count()) === 1, `the exchange for /pets/${id} shows up`, 15_000);
      await row.click();
      const pane = page.getByRole('complementary', { name: 'Exchange details' });
      await eventually(async () => (await pane.innerText()).includes(`/pets/${id}`), 'the detail pane shows the exchange');
      const request = pane.getByRole('region', { name: 'Request' });
      assert((await request.innerText()).toLowerCase().includes('x-e2e'), 'the request headers are shown');
      assert(await pane.getByRole('region', { name: 'Response' }).isVisible(), 'the response is shown');

      // Keyboard: the list moves with the arrow keys.
      await list.focus();
      await page.keyboard.press('Home');
      await eventually(async () => (await list.getByRole('option', { selected: true }).count()) === 1, 'Home selects the newest row');
      assert(errors.length === 0, `no page errors: ${errors.join('; ')}`);
    } finally {
      await context.close();
    }
  },
};
