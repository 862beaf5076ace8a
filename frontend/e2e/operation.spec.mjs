import { assert, eventually, MOD, openApp, selectAPI } from './lib.mjs';

export default {
  name: 'adding an operation through the form',
  async run({ browser, url }) {
    const { context, page, errors } = await openApp(browser, url);
    try {
      await selectAPI(page, 'petstore');
      const outline = page.getByRole('listbox', { name: 'Operations' });
      await eventually(async () => (await outline.getByRole('option').count()) > 0, 'the outline lists the operations');

      await page.getByRole('button', { name: 'Add operation' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add operation' });
      await dialog.getByRole('textbox', { name: 'Path' }).fill('/owners/{ownerId}');
      await dialog.getByRole('combobox', { name: 'Method' }).selectOption('get');
      await dialog.getByRole('textbox', { name: 'Operation ID' }).fill('getOwner');
      await dialog.getByRole('textbox', { name: 'Summary' }).fill('Find an owner');

      // A path parameter is required by the path template: submitting without one names the field.
      await dialog.getByRole('button', { name: 'Add operation' }).click();
      await eventually(async () => (await dialog.getByRole('alert').count()) > 0, 'the missing path parameter is reported');
      assert(await dialog.isVisible(), 'the dialog stays open on an error');

      await dialog.getByRole('button', { name: 'Add parameter' }).click();
      await dialog.getByRole('textbox', { name: 'Parameter 1 name' }).fill('ownerId');
      await dialog.getByRole('combobox', { name: 'Parameter 1 location' }).selectOption('path');
      await dialog.getByRole('textbox', { name: 'Parameter 1 schema' }).fill('{"type": "integer"}');
      await dialog.getByRole('textbox', { name: 'Response 1 description' }).fill('The owner');
      await dialog.getByRole('button', { name: 'Add operation' }).click();

      await eventually(async () => (await dialog.count()) === 0, 'the dialog closes');
      await eventually(
        async () => (await outline.getByRole('option').filter({ hasText: '/owners/{ownerId}' }).count()) === 1,
        'the new operation shows in the Operations outline',
      );
      assert(await page.getByLabel('Unsaved changes', { exact: true }).isVisible(), 'the spec shows unsaved changes');

      // Undo in the editor takes the operation back.
      await page.getByRole('textbox', { name: 'Spec of petstore' }).focus();
      await page.keyboard.press(`${MOD}+z`);
      await eventually(
        async () => (await outline.getByRole('option').filter({ hasText: '/owners/{ownerId}' }).count()) === 0,
        'undo removes the operation again',
      );
      assert(errors.length === 0, `no page errors: ${errors.join('; ')}`);
    } finally {
      await context.close();
    }
  },
};
