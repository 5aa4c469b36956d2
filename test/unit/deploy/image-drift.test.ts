import { describe, expect, it } from 'vitest';
import { checkDrift } from '../../../functions/core/deploy/check-drift.ts';
import type { DeployState } from '../../../functions/core/deploy/deploy-state.ts';
import { buildImageCommand, imageReference, loadImageCommand, parseImageId } from '../../../functions/core/deploy/image-commands.ts';
import { recordStackOutcomes } from '../../../functions/core/deploy/record-stack-outcomes.ts';

const A = 'a'.repeat(40);
const I1 = `sha256:${'1'.repeat(64)}`;
const I2 = `sha256:${'2'.repeat(64)}`;
const at = (image?: string) => ({ deployed: A, status: 'deployed' as const, ...(image ? { image } : {}) });

describe('checkDrift with images', () => {
  it.each<{ name: string; stacks: DeployState['stacks']; targetImage?: string; inSync: boolean; reason: RegExp }>([
    { name: 'same revision, same image', stacks: { eu: at(I1), de: at(I1) }, targetImage: I1, inSync: true, reason: /every stack runs aaaaaaa \(image sha256:111111111111\)/ },
    { name: 'same revision, different images', stacks: { eu: at(I1), de: at(I2) }, inSync: false, reason: /different images: eu sha256:111111111111, de sha256:222222222222/ },
    { name: 'one stack records no image', stacks: { eu: at(I1), de: at() }, inSync: false, reason: /different images: eu sha256:111111111111, de no image/ },
    { name: 'both on another image than the built one', stacks: { eu: at(I1), de: at(I1) }, targetImage: I2, inSync: false, reason: /eu does not run the built image sha256:222222222222/ },
    { name: 'no images anywhere (a group that builds none)', stacks: { eu: at(), de: at() }, inSync: true, reason: /every stack runs aaaaaaa$/ },
  ])('$name → inSync $inSync', ({ stacks, targetImage, inSync, reason }) => {
    // Act
    const report = checkDrift(['eu', 'de'], { stacks }, A, targetImage);
    // Assess
    expect(report.inSync).toBe(inSync);
    expect(report.reasons.join('\n')).toMatch(reason);
  });

  it('lists the image of every stack', () => {
    expect(checkDrift(['eu', 'de'], { stacks: { eu: at(I1) } }).images).toEqual({ eu: I1, de: null });
  });
});

describe('recordStackOutcomes with images', () => {
  const target = { revision: A, receivedAt: '2026-01-01T00:00:00.000Z', deliveryId: 'd', sequence: 1 };

  it('records the image of a deployed stack, and a new image at the same revision is a change', () => {
    // Act
    const first = recordStackOutcomes({ stacks: {} }, target, [{ stack: 'eu', status: 'deployed', image: I1 }], 'now');
    const again = recordStackOutcomes(first.state, target, [{ stack: 'eu', status: 'deployed', image: I1 }], 'later');
    const rebuilt = recordStackOutcomes(first.state, target, [{ stack: 'eu', status: 'deployed', image: I2 }], 'later');
    // Assess
    expect(first.state.stacks['eu']?.image).toBe(I1);
    expect(again.changed).toBe(false);
    expect(rebuilt.changed).toBe(true);
    expect(rebuilt.state.stacks['eu']?.image).toBe(I2);
  });

  it('keeps the image a failed stack still runs', () => {
    // Act
    const first = recordStackOutcomes({ stacks: {} }, target, [{ stack: 'eu', status: 'deployed', image: I1 }], 'now');
    const failed = recordStackOutcomes(first.state, { ...target, revision: 'b'.repeat(40), sequence: 2 }, [{ stack: 'eu', status: 'failed', error: 'up failed' }], 'later');
    // Assess
    expect(failed.state.stacks['eu']).toMatchObject({ status: 'failed', image: I1, deployed: A });
  });
});

describe('image commands', () => {
  it('tags an image with the first 12 hex digits of the revision', () => {
    expect(imageReference({ name: 'twinstack/app' }, A)).toBe('twinstack/app:aaaaaaaaaaaa');
    expect(() => imageReference({ name: 'x' }, 'main')).toThrow(/40-hex/);
  });

  it('builds with every value as its own argv word (never interpolated)', () => {
    // Act
    const command = buildImageCommand('/srv/app', { name: 'app', context: 'sub dir', dockerfile: 'Dockerfile' }, A, 1000);
    // Assess
    expect(command.argv.slice(-5)).toEqual(['/srv/app', 'Dockerfile', 'app:aaaaaaaaaaaa', A, 'sub dir']);
    expect(command.argv[2]).not.toContain('sub dir');
  });

  it('loads from stdin and prints the ID the reference names', () => {
    expect(loadImageCommand('app:aaaaaaaaaaaa', 1000).argv).toEqual(['sh', '-c', expect.stringContaining('docker load'), 'twinstack-load', 'app:aaaaaaaaaaaa']);
  });

  it.each([
    ['the last sha256 line', `noise\n${I1}\n`, I1],
    ['nothing', 'Error: No such image\n', undefined],
    ['a short id', 'sha256:abc\n', undefined],
  ])('parses %s', (_name, stdout, id) => {
    expect(parseImageId(stdout)).toBe(id);
  });
});
