import { assert, ensureGateway, eventually, MOD, openApp, selectAPI } from './lib.mjs';

/** Opens the console on petstore and picks GET /pets/{id}. */
async function openFindPet(page, { select = true } = {}) {
  if (select) {
    await selectAPI(page, 'petstore');
    await ensureGateway(page);
  }
  await page.keyboard.press(`${MOD}+3`);
  const ops = page.getByRole('listbox', { name: 'Operations' });
  await ops.getByRole('option', { name: /^GET \/pets\/\{id\}/ }).click();
  const request = page.getByRole('region', { name: 'Request' });
  const id = request.getByRole('textbox', { name: /^id \(path\)/ });
  await id.waitFor();
  return { request, id };
}

export const sendFromConsole = {
  name: 'send a request from the console and see it in the inspector',
  async run({ browser, url }) {
    const { context, page, errors } = await openApp(browser, url);
    try {
      const { request, id } = await openFindPet(page);
      const petId = String(100000000 + Math.floor(Math.random() * 800000000));
      await id.fill(petId);
      assert((await request.getByRole('textbox', { name: 'URL' }).inputValue()) === `/pets/${petId}`, 'the URL follows the parameter');
      // Keyboard: Enter in the URL field sends.
      await request.getByRole('textbox', { name: 'URL' }).press('Enter');
      const status = page.getByRole('status', { name: 'Response status' });
      await eventually(async () => /\b(200|404)\b/.test(await status.innerText()), 'the response status is shown');
      assert(await page.getByRole('region', { name: 'Spec check' }).isVisible(), 'the spec check is shown');

      await page.keyboard.press(`${MOD}+2`);
      const list = page.getByRole('listbox', { name: 'Exchanges' });
      const row = list.getByRole('option').filter({ hasText: `/pets/${petId}` });
      await eventually(async () => (await row.count()) === 1, `the console's exchange for /pets/${petId} shows up in the inspector`, 15_000);
      assert(errors.length === 0, `no page errors: ${errors.join('; ')}`);
    } finally {
      await context.close();
    }
  },
};

export const keyAuthPolicy = {
  name: 'add keyAuth in the policy form: a request without a key gets 401',
  async run({ browser, url }) {
    const { context, page, errors } = await openApp(browser, url);
    try {
      await selectAPI(page, 'petstore');
      await ensureGateway(page);
      await page.keyboard.press(`${MOD}+4`);
      const scope = page.getByRole('combobox', { name: 'Applies to' });
      await scope.waitFor();
      const opValue = await scope.locator('option', { hasText: 'GET /pets/{id}' }).first().getAttribute('value');
      await scope.selectOption(opValue);

      // A consumer with a key, so that keyAuth has someone to accept.
      await page.getByRole('textbox', { name: 'Consumer name' }).fill(`e2e-${Date.now()}`);
      await page.getByRole('button', { name: 'Add API key' }).click();
      await page.getByLabel('New API key', { exact: true }).waitFor();

      await page.getByRole('combobox', { name: 'Policy to add' }).selectOption('keyAuth');
      await page.getByRole('button', { name: 'Add policy' }).click();
      const policy = page.getByRole('group', { name: 'API key (keyAuth)' });
      await policy.getByRole('textbox', { name: /^name/ }).fill('X-E2E-Key');
      await page.getByRole('button', { name: 'Apply policies' }).click();
      await eventually(async () => !(await page.getByRole('button', { name: 'Apply policies' }).isEnabled()), 'the policies are applied');

      try {
        const { request } = await openFindPet(page, { select: false });
        await request.getByRole('button', { name: 'Send' }).click();
        const status = page.getByRole('status', { name: 'Response status' });
        await eventually(async () => (await status.innerText()).includes('401'), 'a request without the key gets 401', 15_000);
      } finally {
        // Leave the workspace as it was for the specs after this one.
        await page.keyboard.press(`${MOD}+4`);
        await scope.selectOption(opValue);
        await page.getByRole('button', { name: 'Remove keyAuth' }).click();
        await page.getByRole('button', { name: 'Apply policies' }).click();
        await eventually(async () => !(await page.getByRole('button', { name: 'Apply policies' }).isEnabled()), 'keyAuth is removed again');
      }
      assert(errors.length === 0, `no page errors: ${errors.join('; ')}`);
    } finally {
      await context.close();
    }
  },
};

export const suiteAndContract = {
  name: 'save a console request with assertions, run its suite and the contract tests',
  async run({ browser, url }) {
    const { context, page, errors } = await openApp(browser, url);
    try {
      const { request, id } = await openFindPet(page);
      await id.fill('1');
      await request.getByRole('button', { name: 'Send' }).click();
      await page.getByRole('status', { name: 'Response status' }).waitFor();

      const save = page.getByRole('region', { name: 'Save request' });
      const suite = `e2e${Date.now()}`;
      await save.getByRole('combobox', { name: 'Suite' }).fill(suite);
      await save.getByRole('textbox', { name: 'Request name' }).fill('find pet one');
      // The answer suggested its status; keep only "status below 500".
      await save.getByRole('textbox', { name: 'Assertion 1 status' }).fill('2xx');
      const kind = save.getByRole('combobox', { name: 'Assertion 2 kind' });
      if (await kind.count()) await save.getByRole('button', { name: 'Remove assertion 2' }).click();
      await save.getByRole('button', { name: 'Save request' }).click();
      const saved = page.getByRole('list', { name: `Requests of suite ${suite}` });
      await saved.getByRole('button', { name: 'Open find pet one' }).waitFor();

      await page.getByRole('button', { name: `Run suite ${suite}` }).click();
      const results = page.getByRole('list', { name: `Results of suite ${suite}` });
      await results.waitFor();
      await eventually(async () => (await page.getByRole('tabpanel', { name: 'Suite run' }).innerText()).includes(`Suite ${suite}: 1 of 1`), 'the suite ran');

      await page.getByRole('button', { name: 'Run contract tests' }).click();
      const contract = page.getByRole('list', { name: 'Contract test results' });
      await contract.waitFor({ timeout: 30_000 });
      assert((await contract.getByRole('listitem').count()) >= 4, 'every operation is reported');
      assert(errors.length === 0, `no page errors: ${errors.join('; ')}`);
    } finally {
      await context.close();
    }
  },
};

export default sendFromConsole;
