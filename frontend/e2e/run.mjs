// Runs the end-to-end specs against GANTRY_E2E_URL, or against `vite preview`
// of dist/ with the in-browser fake backend when that variable is unset.
//   npm run build && npm run e2e
//   GANTRY_E2E_URL=http://127.0.0.1:34115 npm run e2e
import design from './design.spec.mjs';
import har from './har.spec.mjs';
import { runSpecs } from './lib.mjs';
import traffic from './traffic.spec.mjs';
import workspace from './workspace.spec.mjs';

const only = process.argv[2];
const specs = [workspace, design, traffic, har].filter((s) => !only || s.name.includes(only));
await runSpecs(specs);
