import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/core/errors.ts';
import { ConfigValidationError, formatConfigIssues, loadConfig } from '../../../infra/config/load-config.ts';
import { buildJsonSchema } from '../../../infra/config/twinstack-json-schema.ts';

describe('loadConfig', () => {
  it('loads the example file', () => {
    // Prepare / Act
    const config = loadConfig('examples/twinstack.yaml');

    // Assess
    expect(config.groups.map((group) => group.name)).toEqual(['shop']);
  });

  it('reports a missing file as a ConfigValidationError, which is a ConfigError for ASL', () => {
    // Prepare / Act
    let thrown: unknown;
    try {
      loadConfig('examples/does-not-exist.yaml');
    } catch (error) {
      thrown = error;
    }

    // Assess
    expect(thrown).toBeInstanceOf(ConfigValidationError);
    expect(thrown).toBeInstanceOf(ConfigError);
    const error = thrown as ConfigValidationError;
    expect(error.name).toBe('ConfigError');
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.issues).toEqual([expect.objectContaining({ path: '(file)', problem: 'the file does not exist' })]);
  });

  it('lists every problem in the error message', () => {
    // Prepare / Act
    let message = '';
    try {
      loadConfig('examples/invalid/many-problems.yaml');
    } catch (error) {
      message = (error as Error).message;
    }

    // Assess
    expect(message).toMatch(/^examples\/invalid\/many-problems\.yaml: 13 problems\n/);
    expect(message.split('\n')).toHaveLength(14);
    expect(message).toContain('examples/invalid/many-problems.yaml:18:20 groups[0].primary.hosts[0].address — "203.0.113.11; rm -rf /" is not');
  });
});

describe('formatConfigIssues', () => {
  it.each([
    [{ path: 'groups[0].name', problem: 'bad', fix: 'do x', line: 3, column: 5 }, 'f.yaml', '  f.yaml:3:5 groups[0].name — bad — fix: do x'],
    [{ path: 'groups[0].name', problem: 'bad', fix: 'do x', line: 3, column: 5 }, undefined, '  line 3:5 groups[0].name — bad — fix: do x'],
    [{ path: '(file)', problem: 'gone', fix: 'look' }, 'f.yaml', '  f.yaml (file) — gone — fix: look'],
  ])('writes %j as one line', (issue, source, line) => {
    // Prepare / Act / Assess
    expect(formatConfigIssues([issue], source)).toBe(line);
  });
});

describe('twinstack.schema.json', () => {
  it('is up to date with the zod schema (run `npm run schema` when this fails)', () => {
    // Prepare
    const committed = readFileSync('infra/config/twinstack.schema.json', 'utf8');

    // Act
    const generated = buildJsonSchema();

    // Assess
    expect(committed).toBe(generated);
  });

  it('describes the input side: settings with defaults are optional, patterns published', () => {
    // Prepare
    type Node = { properties: Record<string, Node>; required?: string[]; items: Node; pattern?: string };
    const schema = JSON.parse(buildJsonSchema()) as Node;

    // Act
    const host = schema.properties['groups']?.items.properties['primary']?.properties['hosts']?.items;

    // Assess
    expect(host?.required).toEqual(['name', 'address', 'user', 'hostKey']);
    expect(host?.properties['hostKey']?.pattern).toBe('^SHA256:[A-Za-z0-9+/]{43}$');
  });
});
