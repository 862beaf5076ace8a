// Runs the end-to-end specs against the real Go services: a workspace holding the
// petstore is made with the gantry CLI, the `-tags dev` desktop build serves the built UI
// and the bound methods on a loopback port (under Xvfb, since it still opens a GTK
// window), and the specs drive it in headless Chromium.
//   make cli desktop-dev && node e2e/desktop.mjs [spec-name-filter]
// Environment: GANTRY_DESKTOP_DEV (default ../bin/gantry-desktop-dev), GANTRY_CLI
// (default ../bin/gantry), GANTRY_E2E_SPEC (the spec imported as "petstore").

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FRONTEND } from './lib.mjs';

const ROOT = resolve(FRONTEND, '..');
const desktop = resolve(ROOT, process.env.GANTRY_DESKTOP_DEV || 'bin/gantry-desktop-dev');
const cli = resolve(ROOT, process.env.GANTRY_CLI || 'bin/gantry');
const spec = resolve(ROOT, process.env.GANTRY_E2E_SPEC || 'docs/examples/petstore-expanded.yaml');

for (const [what, path] of [
  ['the dev desktop build (make desktop-dev)', desktop],
  ['the gantry CLI (make cli)', cli],
  ['the petstore spec', spec],
  ['the built UI (make frontend)', join(FRONTEND, 'dist', 'index.html')],
]) {
  if (!existsSync(path)) {
    console.error(`e2e: ${what} is missing: ${path}`);
    process.exit(1);
  }
}

/** A free loopback port. */
function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'gantry-e2e-'));
const db = join(dir, 'workspace.db');
// The dev build's file dialogs answer with files in this folder (see dialogs_dev.go).
process.env.GANTRY_DEV_DIALOG_DIR = join(dir, 'dialogs');
mkdirSync(process.env.GANTRY_DEV_DIALOG_DIR);
const imported = spawnSync(cli, ['import', spec, '--name', 'petstore', '--db', db], { encoding: 'utf8' });
if (imported.status !== 0) {
  console.error(`e2e: importing ${spec} failed:\n${imported.stdout}${imported.stderr}`);
  process.exit(1);
}

const port = await freePort();
const url = `http://127.0.0.1:${port}`;
let log = '';
const child = spawn(
  'xvfb-run',
  ['-a', '-s', '-screen 0 1400x900x24', desktop, '-devserver', `127.0.0.1:${port}`, '-assetdir', join(FRONTEND, 'dist')],
  { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GANTRY_DB: db } },
);
child.stdout.on('data', (b) => (log += b));
child.stderr.on('data', (b) => (log += b));

function stop() {
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

let code = 1;
try {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the desktop exited with ${child.exitCode}:\n${log}`);
    try {
      const res = await fetch(url);
      if (res.ok && (await res.text()).includes('/wails/ipc.js')) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the desktop did not serve ${url} within 60 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  process.env.GANTRY_E2E_URL = url;
  const { main } = await import('./run.mjs');
  code = await main(process.argv[2]);
} catch (e) {
  console.error(`e2e: ${e.message ?? e}`);
} finally {
  stop();
  await new Promise((r) => setTimeout(r, 500));
  rmSync(dir, { recursive: true, force: true });
}
if (code !== 0 && log) console.error(`--- desktop output ---\n${log.slice(-4000)}`);
process.exit(code);
