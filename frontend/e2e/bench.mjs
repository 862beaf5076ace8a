// Desktop performance benchmarks, each reported beside a baseline measured in the same run:
//   1. cold start: the production desktop app under Xvfb, from exec to its window's DOM being
//      ready (logged by the app), against `gantry apis list` on the same workspace (a process
//      that opens the same store and lists its APIs);
//   2. import of a large multi-file spec from the UI until its text is in the editor, against
//      `gantry import` of the same spec;
//   3. keystroke latency in a 10,000+ line spec (key down to the frame after the editor
//      updated), against the same in the small petstore;
//   4. the inspector under more than 1,000 exchanges/s: whether every exchange arrives in the list, how
//      long after the last one, and frame intervals during the stream against idle ones;
//   5. the inspector's list of 100,000 exchanges jumping to a new place every frame, against a
//      list of 100 (in-browser fake backend; `--only list` runs this one alone).
// 2–4 use the -tags dev build's real Go services driven in headless Chromium (the desktop
// window itself is WebKitGTK; Chromium stands in for it because it can be driven).
//   make cli desktop desktop-dev && node e2e/bench.mjs [--large SPEC] [--runs N] [--only list]
import { spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CLI, DESKTOP, DESKTOP_DEV, gantry, PETSTORE, requireFiles, ROOT, startDevDesktop, tempWorkspace, underXvfb } from './desktop-lib.mjs';
import { ensureGateway, eventually, launch, MOD, openApp, selectAPI, startPreview } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const LARGE = resolve(ROOT, opt('--large', '../shared/corpus/digitalocean/DigitalOcean-public.v2.yaml'));
const RUNS = Number(opt('--runs', '5'));
// --only list runs just the 100,000-row list (it needs only the built frontend).
const ONLY_LIST = opt('--only', '') === 'list';
if (!ONLY_LIST) requireFiles([
  ['the desktop app (make desktop)', DESKTOP],
  ['the dev desktop build (make desktop-dev)', DESKTOP_DEV],
  ['the gantry CLI (make cli)', CLI],
  ['the large spec', LARGE],
]);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x) => `${x.toFixed(x < 10 ? 1 : 0)} ms`;
const results = [];
function report(name, value, baselineName, baseline, goal) {
  const line = `${name}: ${ms(value)} (median); baseline ${baselineName}: ${ms(baseline)}; ratio ${(value / baseline).toFixed(2)}×${goal ? `; goal ${goal}` : ''}`;
  results.push(line);
  console.log(line);
}

// 1. Cold start of the real window.
async function coldStart() {
  const ws = tempWorkspace();
  try {
    gantry(['import', PETSTORE, '--name', 'petstore', '--db', ws.db]);
    const windows = [];
    const lists = [];
    for (let i = 0; i < RUNS; i++) {
      lists.push(gantry(['apis', 'list', '--db', ws.db]).ms);
      const p = underXvfb([DESKTOP], { GANTRY_DB: ws.db });
      const m = await p.waitFor(/window ready.*since_start=([0-9.]+)(ms|s)/, 60_000);
      windows.push(Number(m[1]) * (m[2] === 's' ? 1000 : 1));
      await p.stop();
    }
    report('cold start to the window ready', median(windows), '`gantry apis list`', median(lists), '< 1500 ms');
  } finally {
    ws.remove();
  }
}

// 2. Import from the UI: each run in a fresh app (nothing else running), from the click on
// Import until the new API's spec is in the editor.
async function uiImport(browser) {
  const cliImports = [];
  const uiImports = [];
  for (let i = 0; i < RUNS; i++) {
    const other = tempWorkspace();
    cliImports.push(gantry(['import', LARGE, '--db', other.db]).ms);
    other.remove();

    const ws = tempWorkspace();
    let desktop;
    try {
      gantry(['import', PETSTORE, '--name', 'petstore', '--db', ws.db]);
      symlinkSync(LARGE, join(ws.dialogs, 'open'));
      desktop = await startDevDesktop(ws);
      const { context, page } = await openApp(browser, desktop.url);
      try {
        await selectAPI(page, 'petstore');
        await page.waitForTimeout(500);
        const t0 = performance.now();
        await page.getByRole('button', { name: 'Import' }).first().click();
        const editor = page.getByRole('textbox', { name: /^Spec of digitalocean/ });
        await eventually(async () => (await editor.count()) > 0 && (await editor.first().innerText()).includes('openapi'), 'the imported spec is in the editor', 60_000);
        uiImports.push(performance.now() - t0);
      } finally {
        await context.close();
      }
    } finally {
      await desktop?.stop();
      ws.remove();
    }
  }
  report('import of the large spec from the UI, editor ready', median(uiImports), '`gantry import`', median(cliImports), '< 3000 ms');
}

// 3–4 against the dev build's services.
async function uiBenchmarks() {
  const ws = tempWorkspace();
  const browser = await launch();
  let desktop;
  try {
    await uiImport(browser);
    // 3. Keystrokes: a single-file version of the large spec (10,000+ lines) against the petstore.
    gantry(['import', PETSTORE, '--name', 'petstore', '--db', ws.db]);
    const bundled = join(ws.dir, 'large-bundled.yaml');
    gantry(['import', LARGE, '--name', 'large', '--db', ws.db]);
    gantry(['apis', 'export', 'large', '-o', bundled, '--db', ws.db]);
    gantry(['apis', 'remove', 'large', '--db', ws.db]);
    gantry(['import', bundled, '--name', 'bundled', '--db', ws.db]);
    const lines = (file) => readFileSync(file, 'utf8').split('\n').length;
    desktop = await startDevDesktop(ws);
    process.env.GANTRY_E2E_URL = desktop.url; // the gateway then listens on a free port
    const { context, page } = await openApp(browser, desktop.url);
    try {
      const small = await typing(page, 'petstore');
      const large = await typing(page, 'bundled');
      report(`keystroke in a ${lines(bundled)}-line spec`, median(large), `keystroke in the ${lines(PETSTORE)}-line petstore`, median(small), '< 50 ms');
      console.log(`  p95: ${ms(pct(large, 95))} vs ${ms(pct(small, 95))}`);
      // The inspector's gateway serves the petstore alone.
      gantry(['apis', 'remove', 'bundled', '--db', ws.db]);
      // 4. The inspector under more than 1,000 exchanges/s.
      await inspector(page);
    } finally {
      await context.close();
    }
  } finally {
    await browser.close();
    await desktop?.stop();
    ws.remove();
  }
}

/** Types 60 characters at the top of the API's spec; per-key latency in ms. */
async function typing(page, api) {
  await selectAPI(page, api);
  const editor = page.getByRole('textbox', { name: `Spec of ${api}` });
  await editor.click();
  await page.keyboard.press(`${MOD}+Home`);
  await page.evaluate(() => {
    window.__keyLatency = [];
    document.addEventListener(
      'keydown',
      () => {
        const t0 = performance.now();
        requestAnimationFrame(() => setTimeout(() => window.__keyLatency.push(performance.now() - t0), 0));
      },
      true,
    );
  });
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press(i % 10 === 9 ? 'Enter' : 'x');
    await page.waitForTimeout(30);
  }
  await page.waitForTimeout(300);
  const samples = await page.evaluate(() => window.__keyLatency);
  // Undo, so that leaving the API does not ask to discard.
  for (let i = 0; i < 60; i++) await page.keyboard.press(`${MOD}+z`);
  return samples;
}

/** Sends as many requests as wrk manages (over 1,000/s) for 5 s to the mock with the inspector open. */
async function inspector(page) {
  await selectAPI(page, 'petstore');
  await ensureGateway(page);
  const base = (await page.getByLabel('Mock base URL').first().innerText()).trim();
  await page.keyboard.press(`${MOD}+2`);
  await page.getByRole('button', { name: 'Clear' }).click({ timeout: 2000 }).catch(() => {});
  const confirm = page.getByRole('alertdialog');
  if (await confirm.isVisible().catch(() => false)) await confirm.getByRole('button', { name: /Clear/ }).click();
  await page.waitForTimeout(500);

  const frames = () =>
    page.evaluate(
      (dur) =>
        new Promise((ok) => {
          const out = [];
          let last = performance.now();
          const end = last + dur;
          const tick = (t) => {
            out.push(t - last);
            last = t;
            if (t < end) requestAnimationFrame(tick);
            else ok(out);
          };
          requestAnimationFrame(tick);
        }),
      2000,
    );
  const idle = await frames();

  // wrk (Debian package) sends as fast as 4 connections go for 5 s: well above 1,000/s.
  const seconds = 5;
  const during = frames();
  const started = performance.now();
  const wrk = spawnSync('wrk', ['-t1', '-c4', `-d${seconds}s`, '-H', 'Accept: application/json', `${base}/pets?limit=2`], { encoding: 'utf8' });
  if (wrk.status !== 0) throw new Error(`wrk failed: ${wrk.stderr}`);
  const m = /(\d+) requests in/.exec(wrk.stdout);
  const total = m ? Number(m[1]) : 0;
  const sendDone = performance.now();
  const achieved = total / ((sendDone - started) / 1000);
  const streamFrames = await during;
  const counter = page.getByText(/\d[\d,]* exchanges/).first();
  let shown = 0;
  await eventually(
    async () => {
      shown = Number((await counter.innerText()).replace(/[^\d]/g, ''));
      return shown >= total;
    },
    `the inspector shows all ${total} exchanges`,
    30_000,
  ).catch(() => {});
  const lag = performance.now() - sendDone;
  const line = `inspector at ${Math.round(achieved)} exchanges/s for ${seconds} s (wrk, 4 connections): ${shown}/${total} listed, the last ${ms(lag)} after sending ended; frame interval p95 ${ms(pct(streamFrames, 95))} during vs ${ms(pct(idle, 95))} idle (ratio ${(pct(streamFrames, 95) / pct(idle, 95)).toFixed(2)}×)`;
  results.push(line);
  console.log(line);
}

/**
 * 5. Scrolling the inspector through 100,000 exchanges against 100 (the in-browser fake streams
 * them in): the list jumps to a new place every frame for 3 s, so every frame renders a fresh
 * window of rows; frame intervals (p95) of both.
 */
async function bigList() {
  const preview = await startPreview();
  const browser = await launch();
  try {
    const scroll = async (n) => {
      // The fake streams the burst into the live list once the gateway starts.
      const { context, page } = await openApp(browser, `${preview.url}/?burst=${n}`);
      try {
        await ensureGateway(page);
        await page.keyboard.press(`${MOD}+2`);
        const list = page.getByRole('listbox', { name: 'Exchanges' });
        await list.getByRole('option').first().waitFor();
        await eventually(async () => Number(((await page.getByText(/\d[\d,]* exchanges/).first().innerText()) || '0').replace(/[^\d]/g, '')) >= n, `${n} exchanges listed`, 30_000);
        await page.waitForTimeout(500);
        return await page.evaluate(
          (el) =>
            new Promise((ok) => {
              let sc = el;
              while (sc && sc.scrollHeight <= sc.clientHeight) sc = sc.parentElement;
              const out = [];
              let seed = 1;
              let last = performance.now();
              const end = last + 3000;
              const tick = (t) => {
                out.push(t - last);
                last = t;
                seed = (seed * 1103515245 + 12345) % 2147483648;
                sc.scrollTop = (seed / 2147483648) * (sc.scrollHeight - sc.clientHeight);
                if (t < end) requestAnimationFrame(tick);
                else ok({ frames: out, rows: el.querySelectorAll('[role=option]').length });
              };
              requestAnimationFrame(tick);
            }),
          await list.elementHandle(),
        );
      } finally {
        await context.close();
      }
    };
    const small = await scroll(100);
    const big = await scroll(100_000);
    const line = `inspector list jumping to a new place every frame for 3 s: frame interval p95 ${ms(pct(big.frames, 95))} with 100,000 exchanges (${big.rows} rows in the DOM) vs ${ms(pct(small.frames, 95))} with 100 (ratio ${(pct(big.frames, 95) / pct(small.frames, 95)).toFixed(2)}×); median ${ms(median(big.frames))} vs ${ms(median(small.frames))}`;
    results.push(line);
    console.log(line);
  } finally {
    await browser.close();
    await preview.stop();
  }
}

try {
  if (!ONLY_LIST) {
    await coldStart();
    await uiBenchmarks();
  }
  await bigList();
} catch (e) {
  console.error(`bench: ${e.message ?? e}`);
  process.exitCode = 1;
}
console.log('\nsummary:\n' + results.map((r) => `- ${r}`).join('\n'));
