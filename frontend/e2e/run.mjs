// Runs the end-to-end specs against GANTRY_E2E_URL, or against `vite preview`
// of dist/ with the in-browser fake backend when that variable is unset.
//   npm run build && npm run e2e
//   GANTRY_E2E_URL=http://127.0.0.1:34115 npm run e2e
// (e2e/desktop.mjs starts the real desktop services and runs these specs against them.)
import { fileURLToPath } from 'node:url';
import { keyAuthPolicy, sendFromConsole, suiteAndContract } from './console.spec.mjs';
import design, { lintRules } from './design.spec.mjs';
import har from './har.spec.mjs';
import operation from './operation.spec.mjs';
import publish from './publish.spec.mjs';
import { runSpecs } from './lib.mjs';
import traffic from './traffic.spec.mjs';
import workspace from './workspace.spec.mjs';

export const specs = [workspace, design, lintRules, operation, traffic, har, sendFromConsole, suiteAndContract, keyAuthPolicy, publish];

/** Runs the specs whose name contains only (all when empty) and resolves to an exit code. */
export async function main(only) {
  const failed = await runSpecs(specs.filter((s) => !only || s.name.includes(only)));
  return failed > 0 ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv[2]);
}
