// Smoke test of the built desktop app: starts build/bin/gantry-desktop under Xvfb on a
// workspace holding the petstore, takes a screenshot of the screen and checks that the
// window drew the app (many colours, not a blank or single-colour webview) and is still
// running. The screenshot is kept at e2e/artifacts/desktop.png.
//   make cli desktop && node e2e/smoke.mjs
// Needs xvfb-run, xwd (x11-apps) and ImageMagick's convert.

import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, DESKTOP, gantry, PETSTORE, requireFiles, tempWorkspace } from './desktop-lib.mjs';
import { FRONTEND } from './lib.mjs';

const out = join(FRONTEND, 'e2e', 'artifacts', 'desktop.png');
const settle = Number(process.env.GANTRY_SMOKE_WAIT_MS || 8000);

function fail(message) {
  console.error(`smoke: ${message}`);
  process.exit(1);
}

requireFiles([
  ['the desktop app (make desktop)', DESKTOP],
  ['the gantry CLI (make cli)', CLI],
]);
const ws = tempWorkspace();
const dir = ws.dir;
const db = ws.db;
gantry(['import', PETSTORE, '--name', 'petstore', '--db', db]);
mkdirSync(join(FRONTEND, 'e2e', 'artifacts'), { recursive: true });

// One shell under xvfb-run starts the app, waits, and photographs the screen; the app must
// still be running at that point.
const script = `
"$GANTRY_DESKTOP" >"$SMOKE_DIR/app.log" 2>&1 &
app=$!
sleep ${settle / 1000}
if ! kill -0 $app 2>/dev/null; then echo "the app exited early" >&2; cat "$SMOKE_DIR/app.log" >&2; exit 3; fi
xwd -root -silent | convert xwd:- "$SMOKE_OUT" || exit 4
kill $app; wait $app 2>/dev/null
exit 0
`;
const run = spawnSync('xvfb-run', ['-a', '-s', '-screen 0 1400x900x24', 'sh', '-c', script], {
  encoding: 'utf8',
  timeout: 120_000,
  env: { ...process.env, GANTRY_DB: db, GANTRY_DESKTOP: DESKTOP, SMOKE_DIR: dir, SMOKE_OUT: out },
});
ws.remove();
if (run.status !== 0) fail(`the desktop run failed (exit ${run.status}):\n${run.stdout}${run.stderr}`);

// The window is 1280x820 on a 1400x900 screen: an empty webview or an undrawn window is one
// or two colours; the app draws text, icons and an editor with syntax colours.
const info = spawnSync('convert', [out, '-format', '%k %[fx:standard_deviation]', 'info:'], { encoding: 'utf8' });
if (info.status !== 0) fail(`reading the screenshot failed: ${info.stderr}`);
const [colors, deviation] = info.stdout.trim().split(/\s+/).map(Number);
if (!(colors >= 200) || !(deviation > 0.05)) {
  fail(`the window did not render the app: ${colors} colours, deviation ${deviation} (screenshot: ${out})`);
}
console.log(`smoke: the desktop window rendered (${colors} colours); screenshot at ${out}`);
