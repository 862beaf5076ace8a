import { assert, openApp, selectAPI } from './lib.mjs';

export default {
  name: 'the workspace shows the petstore API',
  async run({ browser, url }) {
    const { context, page, errors } = await openApp(browser, url);
    try {
      const option = page.getByRole('listbox', { name: 'APIs' }).getByRole('option').filter({ hasText: 'petstore' }).first();
      await option.waitFor();
      const text = await option.innerText();
      assert(/Swagger Petstore/.test(text), `sidebar item shows the title, got ${JSON.stringify(text)}`);
      assert(/\d+ ops?/.test(text), `sidebar item shows the operation count, got ${JSON.stringify(text)}`);
      await selectAPI(page, 'petstore');
      const editor = page.getByRole('textbox', { name: 'Spec of petstore' });
      assert((await editor.innerText()).includes('Swagger Petstore'), 'the editor holds the petstore spec');
      const ops = page.getByRole('listbox', { name: 'Operations' }).getByRole('option');
      assert((await ops.count()) >= 3, 'the outline lists the operations');
      assert(errors.length === 0, `no page errors: ${errors.join('; ')}`);
    } finally {
      await context.close();
    }
  },
};
