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
      assert(await page.getByRole('tab', { name: /Design/ }).getByLabel('unsaved changes').isVisible(), 'the Design tab shows unsaved changes');

      // A problem jumps to its line, where the editor holds the diagnostic (the status line
      // under the editor names the one at the cursor).
      await page.keyboard.press(`${MOD}+End`);
      const where = /(\d+):(\d+)\s*$/.exec(await errorItems().first().innerText());
      assert(where, 'the problem names its line and column');
      await errorItems().first().click();
      const cursor = page.getByRole('status', { name: 'Cursor' });
      await eventually(
        async () => (await cursor.innerText()).includes(`Ln ${where[1]}, Col ${where[2]}`),
        'clicking the problem moves the cursor to its line and column',
      );
      assert((await cursor.innerText()).includes('error:'), 'the editor marks the error on that line');

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

/** The workspace's lint rules: chosen in the dialog, stored, and shown again when it reopens. */
export const lintRules = {
  name: 'choose the workspace lint rules',
  async run({ browser, url }) {
    const { context, page, errors } = await openApp(browser, url);
    try {
      await selectAPI(page, 'petstore');
      const open = async () => {
        await page.getByRole('button', { name: 'Lint rules…' }).click();
        const dialog = page.getByRole('dialog', { name: 'Lint rules of this workspace' });
        await dialog.waitFor();
        const text = dialog.getByRole('textbox', { name: 'Ruleset (YAML)' });
        await eventually(async () => await text.isEnabled(), 'the ruleset loads');
        return { dialog, text };
      };
      let { dialog, text } = await open();
      await text.fill('extends:\n  - [spectral:oas, recommended]\n  - owasps\n');
      await dialog.getByRole('button', { name: 'Save rules' }).click();
      // The Go side refuses an unknown ruleset; the in-browser fake stores anything.
      await eventually(async () => (await dialog.getByRole('alert').count()) > 0 || !(await dialog.isVisible()), 'the save answers');
      if (await dialog.isVisible()) {
        assert((await dialog.getByRole('alert').innerText()).includes('owasps'), 'the refusal names the unknown ruleset');
        await dialog.getByRole('button', { name: 'Recommended + OWASP Top 10' }).click();
        await dialog.getByRole('button', { name: 'Save rules' }).click();
      }
      await eventually(async () => !(await dialog.isVisible()), 'the dialog closes after a save');
      ({ dialog, text } = await open());
      assert((await text.inputValue()).includes('owasp'), 'the saved rules show when the dialog opens again');
      await dialog.getByRole('button', { name: 'Use the built-in rules' }).click();
      await eventually(async () => !(await dialog.isVisible()), 'the dialog closes');
      assert(errors.length === 0, `no page errors: ${errors.join('; ')}`);
    } finally {
      await context.close();
    }
  },
};
