/**
 * Read `statemachines/<name>.asl.json` and bind every `${XFunctionArn}` placeholder,
 * exactly like the CDK Workflow construct does with real ARNs. Fails on any unbound one.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../../functions/core/errors.ts';

import type { WorkflowName } from '../../../functions/core/workflows/workflow-names.ts';

export type { WorkflowName } from '../../../functions/core/workflows/workflow-names.ts';

export const STATEMACHINES_DIR = fileURLToPath(new URL('../../../statemachines/', import.meta.url));

const PLACEHOLDER = /\$\{([A-Za-z0-9]+)\}/g;

/** The ARN the local runtime gives the function of `state`. */
export function localFunctionArn(state: string): string {
  return `arn:aws:lambda:us-east-1:000000000000:function:twinstack-local-${state}`;
}

/** Every `${…}` placeholder of an ASL text, in order of first use. */
export function placeholdersIn(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? ''))];
}

/** Substitute placeholders by `bindings`; ConfigError listing every unbound one. */
export function bindPlaceholders(text: string, bindings: Readonly<Record<string, string>>): string {
  const unbound = placeholdersIn(text).filter((p) => !Object.hasOwn(bindings, p));
  if (unbound.length > 0) throw new ConfigError(`unbound ASL placeholders: ${unbound.join(', ')}`);
  return text.replace(PLACEHOLDER, (_, name: string) => bindings[name] ?? '');
}

export async function readAslText(workflow: WorkflowName): Promise<string> {
  return readFile(`${STATEMACHINES_DIR}${workflow}.asl.json`, 'utf8');
}

/** The parsed definition with `${XFunctionArn}` → localFunctionArn(X) for every state in `states`. */
export async function loadAsl(workflow: WorkflowName, states: readonly string[]): Promise<Record<string, unknown>> {
  const bindings = Object.fromEntries(states.map((s) => [`${s}FunctionArn`, localFunctionArn(s)]));
  return JSON.parse(bindPlaceholders(await readAslText(workflow), bindings)) as Record<string, unknown>;
}
