// Runs the end-to-end specs against the real Go services: a workspace holding the
// petstore is made with the gantry CLI, the `-tags dev` desktop build serves the built UI
// and the bound methods on a loopback port (under Xvfb, since it still opens a GTK
// window), and the specs drive it in headless Chromium.
//   make cli desktop-dev && node e2e/desktop.mjs [spec-name-filter]
// Environment: GANTRY_DESKTOP_DEV (default ../bin/gantry-desktop-dev), GANTRY_CLI
// (default ../bin/gantry).

import { join } from 'node:path';
import { CLI, DESKTOP_DEV, gantry, PETSTORE, requireFiles, startDevDesktop, startServer, tempWorkspace } from './desktop-lib.mjs';
import { FRONTEND } from './lib.mjs';

requireFiles([
  ['the dev desktop build (make desktop-dev)', DESKTOP_DEV],
  ['the gantry CLI (make cli)', CLI],
  ['the built UI (make frontend)', join(FRONTEND, 'dist', 'index.html')],
]);

const ws = tempWorkspace();
let code = 1;
let desktop;
let server;
try {
  gantry(['import', PETSTORE, '--name', 'petstore', '--db', ws.db]);
  server = await startServer(ws.dir);
  desktop = await startDevDesktop(ws);
  process.env.GANTRY_E2E_URL = desktop.url;
  // A management server with the catalog "dev" for the publish spec.
  process.env.GANTRY_E2E_SERVER = server.url;
  process.env.GANTRY_E2E_SERVER_TOKEN = server.token;
  // The dev build's file dialogs answer with files in this folder (see dialogs_dev.go).
  process.env.GANTRY_DEV_DIALOG_DIR = ws.dialogs;
  const { main } = await import('./run.mjs');
  code = await main(process.argv[2]);
} catch (e) {
  console.error(`e2e: ${e.message ?? e}`);
} finally {
  await desktop?.stop();
  await server?.stop();
  ws.remove();
}
if (code !== 0 && desktop) console.error(`--- desktop output ---\n${desktop.log().slice(-4000)}`);
process.exit(code);
