// A tiny end-to-end harness: a browser from the system's Chromium, a server
// to test (GANTRY_E2E_URL, or `vite preview` of dist/ with the fake backend),
// and a runner that prints one "N passed, N failed" line.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const FRONTEND = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CHROMIUM = process.env.GANTRY_E2E_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const isMac = process.platform === 'darwin';
/** The modifier the app's shortcuts use on this platform. */
export const MOD = isMac ? 'Meta' : 'Control';

export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** Starts `vite preview` on a free port and resolves to its URL and a stop function. */
export async function startPreview() {
  if (!existsSync(join(FRONTEND, 'dist', 'index.html'))) {
    throw new Error('dist/index.html is missing: run `npm run build` first');
  }
  const vite = join(FRONTEND, 'node_modules', 'vite', 'bin', 'vite.js');
  const child = spawn(process.execPath, [vite, 'preview', '--host', '127.0.0.1', '--port', '0', '--strictPort', 'false'], {
    cwd: FRONTEND,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`vite preview did not start:\n${out}`)), 20_000);
    const onData = (b) => {
      out += b.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/?)/.exec(out.replace(/\x1b\[[0-9;]*m/g, ''));
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/$/, ''));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`vite preview exited with ${code}:\n${out}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The URL under test and whether it is the in-browser fake. */
export async function target() {
  const given = process.env.GANTRY_E2E_URL;
  if (given) return { url: given.replace(/\/$/, ''), fake: false, stop: async () => {} };
  const p = await startPreview();
  return { url: p.url, fake: true, stop: p.stop };
}

export function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

/** Polls fn until it returns a truthy value or the time runs out. */
export async function eventually(fn, message, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out: ${message}${last ? ` (last error: ${last.message})` : ''}`);
}

/** Opens the app in a fresh context (a fresh fake workspace) and waits for the sidebar. */
export async function openApp(browser, url, { colorScheme = 'light', viewport = { width: 1440, height: 900 } } = {}) {
  const context = await browser.newContext({ colorScheme, viewport, acceptDownloads: true, reducedMotion: 'reduce' });
  const page = await context.newPage();
  const errors = [];
  // The Wails dev server injects its own overlay script, which throws on pages it did not
  // build; only the app's own errors count.
  page.on('pageerror', (e) => {
    if (!String(e.stack ?? '').includes('/wails/ipc.js')) errors.push(e.message);
  });
  await page.goto(url);
  await page.getByRole('navigation', { name: 'Workspace' }).waitFor();
  return { context, page, errors };
}

/** Selects an API in the sidebar by name and waits for its editor. */
export async function selectAPI(page, name) {
  const list = page.getByRole('listbox', { name: 'APIs' });
  await list.getByRole('option').filter({ hasText: name }).first().click();
  await page.getByRole('textbox', { name: `Spec of ${name}` }).waitFor();
}

/** Starts the gateway from the status bar unless it runs already. */
export async function ensureGateway(page) {
  const bar = page.getByRole('contentinfo', { name: 'Gateway' });
  const start = bar.getByRole('button', { name: 'Start gateway' });
  if (await start.isVisible()) {
    // Against the real services, let the system pick a free port so that a busy default
    // port cannot fail the run.
    if (process.env.GANTRY_E2E_URL) await bar.getByRole('textbox', { name: 'Listen' }).fill('127.0.0.1:0');
    await start.click();
  }
  await bar.getByRole('button', { name: 'Stop gateway' }).waitFor({ timeout: 15_000 });
}

/**
 * Runs specs one after the other. A spec is { name, run({ browser, url, fake }) }.
 * Prints one line per spec and a closing "N passed, N failed" line; resolves to the number failed.
 */
export async function runSpecs(specs) {
  const t = await target();
  const browser = await launch();
  let passed = 0;
  let failed = 0;
  try {
    for (const spec of specs) {
      const started = Date.now();
      try {
        await spec.run({ browser, url: t.url, fake: t.fake });
        passed++;
        console.log(`ok   ${spec.name} (${Date.now() - started} ms)`);
      } catch (e) {
        failed++;
        console.log(`FAIL ${spec.name} (${Date.now() - started} ms)\n     ${String(e?.stack ?? e).split('\n').join('\n     ')}`);
      }
    }
  } finally {
    await browser.close();
    await t.stop();
  }
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  return failed;
}
