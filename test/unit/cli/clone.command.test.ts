import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../infra/cli/cli-io.ts';
import { cloneInputOf, runCloneCommand, type LocalCloneRun } from '../../../infra/cli/commands/clone.command.ts';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import type { Stack } from '../../../functions/core/model.ts';
import { FileParameterStore } from '../../../functions/adapters/local/file.parameter-store.ts';
import { sampleGroup } from '../handlers/fakes/fake-world.ts';

const KEY = `SHA256:${'Z'.repeat(43)}`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'twinstack-clone-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function io(): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
}

/** A state dir holding the sample group without its twin. */
function stateDir(): string {
  const { twin: _twin, ...awaiting } = sampleGroup();
  const state = join(dir, 'state');
  mkdirSync(state, { recursive: true });
  writeFileSync(join(state, 'parameters.json'), JSON.stringify({ [parameterNames.config('shop')]: { value: JSON.stringify(awaiting), secret: false } }));
  return state;
}

/** Plays RegisterTwin: the twin written into the state's config, as the workflow would. */
function registeringRun(seen: LocalCloneRun[]) {
  return async (run: LocalCloneRun) => {
    seen.push(run);
    const params = new FileParameterStore(run.state.parameterFile);
    const group = JSON.parse((await params.get(parameterNames.config('shop'))) ?? '{}') as { primary: Stack };
    const twin: Stack = { ...group.primary, name: 'shop-eu-local', region: 'local', hosts: group.primary.hosts.map((h, i) => ({ ...h, address: `127.0.2.${i + 1}`, hostKey: KEY })) };
    await params.put(parameterNames.config('shop'), JSON.stringify({ ...group, twin }));
    return { status: 'SUCCEEDED' as const, output: {}, events: [], durationMs: 1234 };
  };
}

describe('twinstack clone', () => {
  it('builds the workflow input from the flags, each subnet mapped', () => {
    // Act
    const input = cloneInputOf('shop', { targetRegion: 'eu-central-1', kmsKey: 'alias/k', vpc: 'vpc-1', subnet: ['subnet-a=subnet-x', 'subnet-b=subnet-y'], keepOnFailure: true });
    // Assess
    expect(input).toEqual({ group: 'shop', targetRegion: 'eu-central-1', options: { kmsKeyId: 'alias/k', vpcId: 'vpc-1', subnets: { 'subnet-a': 'subnet-x', 'subnet-b': 'subnet-y' }, noReboot: true, keepOnFailure: true } });
  });

  it.each([
    [{ kmsKey: 'k', vpc: 'v' }, 'no --target-region'],
    [{ targetRegion: 'eu-central-1', vpc: 'v' }, 'no --kms-key'],
    [{ targetRegion: 'eu-central-1', kmsKey: 'k' }, 'no --vpc'],
    [{ targetRegion: 'eu-central-1', kmsKey: 'k', vpc: 'v', subnet: ['subnet-a'] }, 'is not SOURCE=TARGET'],
  ])('refuses %o with exit 2, starting nothing', async (options, problem) => {
    // Prepare
    const cli = io();
    const seen: LocalCloneRun[] = [];
    // Act
    const code = await runCloneCommand('shop', options, cli, { runLocal: registeringRun(seen), sfnClient: () => { throw new Error('no AWS call expected'); } });
    // Assess
    expect(code).toBe(2);
    expect(cli.errors.join('\n')).toContain(problem);
    expect(seen).toEqual([]);
  });

  it('--local prints the twin block as YAML with the pinned fingerprints; --write writes it', async () => {
    // Prepare
    const cli = io();
    const seen: LocalCloneRun[] = [];
    const file = join(dir, 'twin.yaml');
    // Act
    const printed = await runCloneCommand('shop', { local: true, stateDir: stateDir() }, cli, { runLocal: registeringRun(seen) });
    const written = await runCloneCommand('shop', { local: true, stateDir: join(dir, 'state'), write: file }, io(), { runLocal: registeringRun(seen) });
    // Assess
    expect([printed, written]).toEqual([0, 0]);
    expect(seen[0]?.input).toEqual({ group: 'shop', targetRegion: 'local-twin', options: { kmsKeyId: 'local', vpcId: 'vpc-lab', subnets: { 'subnet-lab': 'subnet-lab' }, noReboot: true, keepOnFailure: false } });
    expect(seen[0]?.addresses).toEqual({ first: '127.0.2.1', last: '127.0.2.20' });
    const block = parse(cli.lines.join('\n')) as { twin: Stack };
    expect(block.twin.name).toBe('shop-eu-local');
    expect(block.twin.hosts.map((h) => h.hostKey)).toEqual([KEY, KEY]);
    expect(parse(readFileSync(file, 'utf8'))).toEqual(block);
  });

  it('a refused clone exits 3 with the reasons', async () => {
    // Prepare
    const cli = io();
    const refused = () => Promise.resolve({ status: 'FAILED' as const, error: 'CloneRefused', cause: 'clone of shop refused, nothing was created: options.kmsKeyId is missing', events: [], durationMs: 5 });
    // Act
    const code = await runCloneCommand('shop', { local: true, stateDir: stateDir() }, cli, { runLocal: refused });
    // Assess
    expect(code).toBe(3);
    expect(cli.lines.join('\n')).toContain('options.kmsKeyId is missing');
  });
});
