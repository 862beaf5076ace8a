import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assert, eventually, MOD, openApp } from './lib.mjs';
import { sendUniqueRequest } from './traffic.spec.mjs';

export default {
  name: 'export the filtered traffic as HAR',
  async run({ browser, url, fake }) {
    const { context, page, errors } = await openApp(browser, url);
    try {
      const { id } = await sendUniqueRequest(page);
      await page.keyboard.press(`${MOD}+2`);
      const filters = page.getByRole('search', { name: 'Filter traffic' });
      await filters.getByRole('searchbox', { name: 'Path' }).fill(`/pets/${id}`);
      const list = page.getByRole('listbox', { name: 'Exchanges' });
      // The list may briefly hold one other exchange (an earlier spec's) before the filter applies.
      await eventually(
        async () => (await list.getByRole('option').count()) === 1 && (await list.getByRole('option').first().innerText()).includes(`/pets/${id}`),
        'the filter leaves exactly the one exchange',
        15_000,
      );

      // The fake offers the HAR as a download; the desktop app writes it where its save dialog says.
      const download = fake ? page.waitForEvent('download', { timeout: 10_000 }) : null;
      await page.getByRole('button', { name: 'Export HAR' }).click();
      await page.getByRole('status').filter({ hasText: 'HAR exported' }).waitFor({ timeout: 15_000 });
      // The desktop's dev build answers its save dialog with a file in GANTRY_DEV_DIALOG_DIR.
      const saved = download ? await (await download).path() : join(process.env.GANTRY_DEV_DIALOG_DIR ?? '', 'traffic.har');
      if (download || process.env.GANTRY_DEV_DIALOG_DIR) {
        const har = JSON.parse(await readFile(saved, 'utf8'));
        assert(har.log?.version === '1.2', 'the file is a HAR 1.2 log');
        assert(har.log.entries.length === 1, `the HAR holds the filtered exchange only, got ${har.log.entries.map((e) => `${e.startedDateTime} ${e.request.method} ${e.request.url} ${e.response.status}`).join(', ')}`);
        assert(har.log.entries[0].request.url.includes(`/pets/${id}`), 'the entry is the request that was sent');
      }
      assert(errors.length === 0, `no page errors: ${errors.join('; ')}`);
    } finally {
      await context.close();
    }
  },
};
