/**
 * `npm run asl`: rewrites the generated parts of statemachines/*.asl.json — every
 * Task's `Retry` (functions/core/workflows/retry-policy.ts) and the lease scaffold
 * (lease-scaffold.ts) — and keeps the rest. Commit the result; the ASL contract test
 * fails when a file is stale. Running it twice changes nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateAslText } from '../../functions/core/workflows/asl-generate.ts';
import { WORKFLOW_NAMES } from '../../functions/core/workflows/workflow-names.ts';

const dir = fileURLToPath(new URL('../../statemachines/', import.meta.url));
for (const workflow of WORKFLOW_NAMES) {
  const file = `${dir}${workflow}.asl.json`;
  const committed = readFileSync(file, 'utf8');
  const generated = generateAslText(workflow, committed);
  if (generated === committed) {
    console.log(`unchanged ${file}`);
    continue;
  }
  writeFileSync(file, generated);
  console.log(`wrote ${file}`);
}
