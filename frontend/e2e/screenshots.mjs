// Renders the UI against the fake backend (vite preview of dist/) in light
// and dark, and writes screenshots to e2e/screenshots/ for a person to look at.
//   npm run build && npm run screenshots
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureGateway, eventually, FRONTEND, launch, MOD, openApp, selectAPI, startPreview } from './lib.mjs';

const OUT = join(FRONTEND, 'e2e', 'screenshots');

async function shoot(browser, url, scheme) {
  const { context, page } = await openApp(browser, url, { colorScheme: scheme });
  const file = (name) => join(OUT, `${scheme}-${name}.png`);
  try {
    await selectAPI(page, 'petstore');
    await page.getByRole('listbox', { name: 'Operations' }).waitFor();
    await page.waitForTimeout(600);
    await page.screenshot({ path: file('design') });

    // A broken edit: inline marks and the Problems list.
    await page.getByRole('textbox', { name: 'Spec of petstore' }).click();
    await page.keyboard.press(`${MOD}+Home`);
    await page.keyboard.type('openapi: 3.0.3');
    await page.keyboard.press('Enter');
    await page.waitForTimeout(700);
    await page.screenshot({ path: file('design-problems') });

    await selectAPI(page, 'billing').catch(() => {});
    if (await page.getByRole('alertdialog').isVisible()) {
      await page.getByRole('button', { name: 'Discard changes' }).click();
      await selectAPI(page, 'billing');
    }
    await page.waitForTimeout(600);
    await page.screenshot({ path: file('design-json') });

    await ensureGateway(page);
    await page.keyboard.press(`${MOD}+2`);
    const list = page.getByRole('listbox', { name: 'Exchanges' });
    await list.getByRole('option').first().waitFor();
    const withViolation = list.getByRole('option').filter({ has: page.locator('.viol-badge') }).first();
    await ((await withViolation.count()) ? withViolation : list.getByRole('option').first()).click();
    await eventually(async () => (await page.getByRole('region', { name: 'Response' }).count()) > 0, 'detail pane');
    await page.waitForTimeout(300);
    await page.screenshot({ path: file('traffic') });

    await page.getByRole('button', { name: 'New API' }).click();
    await page.getByRole('dialog', { name: 'New API' }).waitFor();
    await page.keyboard.type('Bad Name');
    await page.keyboard.press('Tab');
    await page.screenshot({ path: file('new-api') });
    await page.keyboard.press('Escape');
  } finally {
    await context.close();
  }
}

/** The console after a send, the policy form, the publish dialog and the catalogs view. */
async function workflows(browser, url) {
  const { context, page } = await openApp(browser, url);
  const file = (name) => join(OUT, `light-${name}.png`);
  try {
    await selectAPI(page, 'petstore');
    await ensureGateway(page);
    await page.keyboard.press(`${MOD}+3`);
    await page.getByRole('listbox', { name: 'Operations' }).getByRole('option', { name: /^GET \/pets\/\{id\}/ }).click();
    const request = page.getByRole('region', { name: 'Request' });
    await request.getByRole('textbox', { name: /^id \(path\)/ }).fill('7');
    await request.getByRole('textbox', { name: 'URL' }).press('Enter');
    await page.getByRole('region', { name: 'Spec check' }).waitFor();
    await page.waitForTimeout(300);
    await page.screenshot({ path: file('console') });

    await page.keyboard.press(`${MOD}+4`);
    await page.getByRole('combobox', { name: 'Applies to' }).waitFor();
    await page.getByRole('textbox', { name: 'Consumer name' }).fill('mobile-app');
    await page.getByRole('button', { name: 'Add API key' }).click();
    await page.getByLabel('New API key', { exact: true }).waitFor();
    for (const name of ['keyAuth', 'rateLimit']) {
      await page.getByRole('combobox', { name: 'Policy to add' }).selectOption(name);
      await page.getByRole('button', { name: 'Add policy' }).click();
    }
    await page.waitForTimeout(300);
    await page.screenshot({ path: file('policies') });

    await page.keyboard.press(`${MOD}+1`);
    await page.getByRole('button', { name: 'Publish' }).click();
    const login = page.getByRole('dialog', { name: 'Log in to a management server' });
    await login.getByLabel('Token').fill('secret');
    await login.getByRole('button', { name: 'Log in' }).click();
    const dlg = page.getByRole('dialog', { name: 'Publish petstore' });
    await dlg.getByText(/petstore is new to dev/).waitFor();
    await page.waitForTimeout(200);
    await page.screenshot({ path: file('publish') });
    await dlg.getByRole('button', { name: 'Publish to dev' }).click();
    await dlg.getByText('Published revision 1 of petstore to dev.').waitFor();
    await dlg.getByRole('button', { name: 'Close' }).click();

    await page.keyboard.press(`${MOD}+5`);
    await page.getByRole('table', { name: 'Revisions of petstore' }).waitFor();
    await page.getByRole('button', { name: 'Pull all into the workspace' }).click();
    await page.getByRole('list', { name: 'Pull results' }).waitFor();
    await page.waitForTimeout(200);
    await page.screenshot({ path: file('catalogs') });
  } finally {
    await context.close();
  }
}

async function bigTraffic(browser, url) {
  const { context, page } = await openApp(browser, `${url}/?traffic=100000&rate=200`, { colorScheme: 'dark' });
  try {
    await page.keyboard.press(`${MOD}+2`);
    await ensureGateway(page);
    const list = page.getByRole('listbox', { name: 'Exchanges' });
    await list.getByRole('option').first().waitFor();
    await page.waitForTimeout(1500);
    const rendered = await list.getByRole('option').count();
    await page.screenshot({ path: join(OUT, 'dark-traffic-100k.png') });
    console.log(`100k: ${rendered} rows in the DOM`);
  } finally {
    await context.close();
  }
}

await mkdir(OUT, { recursive: true });
const preview = await startPreview();
const browser = await launch();
try {
  for (const scheme of ['light', 'dark']) await shoot(browser, preview.url, scheme);
  await workflows(browser, preview.url);
  await bigTraffic(browser, preview.url);
  console.log(`screenshots in ${OUT}`);
} finally {
  await browser.close();
  await preview.stop();
}
