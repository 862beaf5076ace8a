import { assert, eventually, MOD, openApp, selectAPI } from './lib.mjs';

export default {
  name: 'editing the spec shows a diagnostic',
  async run({ browser, url }) {
    const { context, page, errors } = await openApp(browser, url);
    try {
      await selectAPI(page, 'petstore');
      const problems = page.getByRole('listbox', { name: 'Problems' });
      const errorItems = () => problems.getByRole('option').filter({ has: page.getByRole('img', { name: 'Error' }) });
      const before = (await problems.count()) ? await errorItems().count() : 0;

      // A second top-level "openapi" key: every YAML parser rejects the duplicate.
      const editor = page.getByRole('textbox', { name: 'Spec of petstore' });
      await editor.click();
      await page.keyboard.press(`${MOD}+Home`);
      await page.keyboard.type('openapi: 3.0.3');
      await page.keyboard.press('Enter');

      await eventually(async () => (await errorItems().count()) > before, 'an error appears in Problems');
      await eventually(async () => (await page.locator('.cm-lintRange-error').count()) > 0, 'the error is marked in the editor');
      assert(await page.getByRole('tab', { name: /Design/ }).getByLabel('unsaved changes').isVisible(), 'the Design tab shows unsaved changes');

      // A problem jumps to its line.
      await page.keyboard.press(`${MOD}+End`);
      await errorItems().first().click();
      await eventually(
        async () => (await page.locator('.cm-activeLine').first().innerText()).includes('openapi'),
        'clicking the problem moves the cursor to its line',
      );

      // Undo restores the spec; nothing was saved.
      await editor.click();
      for (let i = 0; i < 3; i++) await page.keyboard.press(`${MOD}+z`);
      await eventually(async () => (await errorItems().count()) <= before, 'undo removes the error');
      assert(errors.length === 0, `no page errors: ${errors.join('; ')}`);
    } finally {
      await context.close();
    }
  },
};
