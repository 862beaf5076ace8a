// Starting Gantry's own binaries for end-to-end tests and benchmarks: the gantry CLI, the
// `-tags dev` desktop build serving the UI and the bound Go methods to a browser, and the
// production desktop build in a real window, all under Xvfb where a display is needed.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FRONTEND } from './lib.mjs';

export const ROOT = resolve(FRONTEND, '..');
export const DESKTOP_DEV = resolve(ROOT, process.env.GANTRY_DESKTOP_DEV || 'bin/gantry-desktop-dev');
export const DESKTOP = resolve(ROOT, process.env.GANTRY_DESKTOP || 'build/bin/gantry-desktop');
export const CLI = resolve(ROOT, process.env.GANTRY_CLI || 'bin/gantry');
export const PETSTORE = resolve(ROOT, 'docs/examples/petstore-expanded.yaml');

/** Exits with a message when a file the run needs is missing. */
export function requireFiles(files) {
  for (const [what, path] of files) {
    if (!existsSync(path)) {
      console.error(`${what} is missing: ${path}`);
      process.exit(1);
    }
  }
}

/** A free loopback port. */
export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/**
 * A temporary folder with a workspace (workspace.db) and a folder that answers the dev
 * build's file dialogs (dialogs/); remove() deletes it all.
 */
export function tempWorkspace() {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-e2e-'));
  const dialogs = join(dir, 'dialogs');
  const config = join(dir, 'config');
  mkdirSync(dialogs);
  mkdirSync(config);
  return { dir, db: join(dir, 'workspace.db'), dialogs, config, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts `gantry server` on a SQLite database in dir at a free loopback port with a known
 * admin token and creates the catalog "dev"; resolves to { url, token, stop, log }.
 */
export async function startServer(dir) {
  const token = 'gtu_e2e-admin-token';
  let log = '';
  const child = spawn(CLI, ['server', '--listen', '127.0.0.1:0', '--db', join(dir, 'server.db')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GANTRY_BOOTSTRAP_TOKEN: token },
  });
  child.stdout.on('data', (b) => (log += b));
  child.stderr.on('data', (b) => (log += b));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  const deadline = Date.now() + 30_000;
  let m;
  while (!(m = /management server on (http:\/\/[^/\s]+)\/api\/v1/.exec(log))) {
    if (child.exitCode !== null) throw new Error(`gantry server exited with ${child.exitCode}:\n${log}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`gantry server did not start within 30 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = m[1];
  gantry(['catalogs', 'create', 'dev', '--server', url, '--token', token]);
  return { url, token, stop, log: () => log };
}

/** Runs the gantry CLI; throws with its output when it fails. Resolves to the elapsed ms. */
export function gantry(args) {
  const started = performance.now();
  const r = spawnSync(CLI, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`gantry ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return { ms: performance.now() - started, stdout: r.stdout };
}

/** Starts a process group under xvfb-run; stop() ends the whole group. */
export function underXvfb(argv, env) {
  let log = '';
  const child = spawn('xvfb-run', ['-a', '-s', '-screen 0 1400x900x24', ...argv], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const listeners = new Set();
  const onData = (b) => {
    log += b;
    for (const l of listeners) l(log);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return {
    child,
    log: () => log,
    /** Resolves to the first match of re in the output, or rejects after ms. */
    waitFor(re, ms) {
      return new Promise((ok, fail) => {
        const check = (text) => {
          const m = re.exec(text);
          if (m) {
            listeners.delete(check);
            clearTimeout(timer);
            ok(m);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          fail(new Error(`timed out after ${ms} ms waiting for ${re} in:\n${log.slice(-3000)}`));
        }, ms);
        listeners.add(check);
        check(log);
      });
    },
    async stop() {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        return; // already gone
      }
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}

/**
 * Starts the dev desktop build on the workspace db, serving the UI at a free loopback port;
 * resolves once the page is served, to { url, stop, log }.
 */
export async function startDevDesktop({ db, dialogs, config }) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const p = underXvfb([DESKTOP_DEV, '-devserver', `127.0.0.1:${port}`, '-assetdir', join(FRONTEND, 'dist')], {
    GANTRY_DB: db,
    GANTRY_DEV_DIALOG_DIR: dialogs,
    // The login the desktop saves goes to the temporary folder, never the user's keyring.
    XDG_CONFIG_HOME: config,
    GANTRY_KEYRING: 'off',
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (p.child.exitCode !== null) throw new Error(`the desktop exited with ${p.child.exitCode}:\n${p.log()}`);
    try {
      const res = await fetch(url);
      if (res.ok && (await res.text()).includes('/wails/ipc.js')) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await p.stop();
      throw new Error(`the desktop did not serve ${url} within 60 s:\n${p.log()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop: p.stop, log: p.log };
}
