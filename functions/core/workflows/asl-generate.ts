/**
 * `npm run asl`'s pure part: from a committed ASL definition, the definition with its
 * generated parts rewritten — the lease scaffold's states (lease-scaffold.ts) and every
 * Task's `Retry` (retry-policy.ts). The rest of the file is hand-written and kept as is,
 * key order included, so the committed files stay the readable source and a second
 * run changes nothing.
 */
import { WORKFLOW_LEASES, leaseStates, type WorkflowName } from './lease-scaffold.ts';
import { retryOf } from './retry-policy.ts';

type Json = Record<string, unknown>;

/** Every `States` object of a definition, nested Map/Parallel ones included. */
function stateMaps(node: unknown, found: Json[] = []): Json[] {
  if (!node || typeof node !== 'object') return found;
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === 'States' && value && typeof value === 'object') found.push(value as Json);
    stateMaps(value, found);
  }
  return found;
}

/** The definition `npm run asl` writes for `workflow`, given its committed `definition` (not modified). */
export function generateDefinition(workflow: WorkflowName, definition: Json): Json {
  const out = structuredClone(definition);
  const top = out.States as Json;
  // Assigning an existing key keeps its position; a missing scaffold state is appended.
  for (const [name, state] of Object.entries(leaseStates(WORKFLOW_LEASES[workflow]))) top[name] = state;
  for (const states of stateMaps(out)) {
    for (const [name, state] of Object.entries(states)) {
      const s = state as Json;
      if (s.Type === 'Task') s.Retry = retryOf(name);
    }
  }
  return out;
}

/** The committed text of a definition: 2-space JSON and a final newline. */
export function renderAsl(definition: unknown): string {
  return `${JSON.stringify(definition, null, 2)}\n`;
}

/** The text `npm run asl` writes for `workflow` from its committed text. */
export function generateAslText(workflow: WorkflowName, committed: string): string {
  return renderAsl(generateDefinition(workflow, JSON.parse(committed) as Json));
}
