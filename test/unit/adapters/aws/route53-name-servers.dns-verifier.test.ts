import { describe, expect, it } from 'vitest';
import { AuthoritativeDnsVerifier, type NameResolver } from '../../../../functions/adapters/aws/route53-name-servers.dns-verifier.ts';

const RECORD = { zone: 'example.com', name: 'shop.example.com', ttl: 60 };

/** A resolver world: the system resolver knows the zone's NS; the authoritative servers answer `answers`. */
function world(answers: { readonly a?: readonly string[]; readonly cname?: readonly string[] }) {
  const asked: string[][] = [];
  const create = (): NameResolver => {
    let servers: string[] = [];
    return {
      setServers: (s) => { servers = s; asked.push(s); },
      resolveNs: () => Promise.resolve(['ns-1.awsdns-01.org', 'ns-2.awsdns-02.com']),
      resolve4: (name) => {
        if (servers.length === 0) return Promise.resolve(name === 'ns-1.awsdns-01.org' ? ['205.251.192.1'] : ['205.251.194.2']);
        return answers.a ? Promise.resolve([...answers.a]) : Promise.reject(Object.assign(new Error('ENODATA'), { code: 'ENODATA' }));
      },
      resolveCname: () => (answers.cname ? Promise.resolve([...answers.cname]) : Promise.reject(new Error('ENODATA'))),
    };
  };
  return { create, asked };
}

describe('AuthoritativeDnsVerifier', () => {
  it('asks the zone\'s own name servers and accepts the expected A answer', async () => {
    // Prepare
    const w = world({ a: ['198.51.100.10'] });
    // Act
    const ok = await new AuthoritativeDnsVerifier({ createResolver: w.create }).answers(RECORD, { type: 'A', value: '198.51.100.10' });
    // Assess
    expect(ok).toBe(true);
    expect(w.asked).toEqual([['205.251.192.1', '205.251.194.2']]);
  });

  it.each([
    ['another address', { a: ['203.0.113.10'] }, { type: 'A', value: '198.51.100.10' }],
    ['no answer yet', {}, { type: 'A', value: '198.51.100.10' }],
    ['a CNAME to another host', { cname: ['lb-eu.example.net.'] }, { type: 'CNAME', value: 'lb-de.example.net' }],
  ] as const)('is false (not yet, retried) for %s', async (_what, answers, expected) => {
    // Act + Assess
    expect(await new AuthoritativeDnsVerifier({ createResolver: world(answers).create }).answers(RECORD, expected)).toBe(false);
  });

  it('compares CNAME answers without case or trailing dot', async () => {
    // Act + Assess
    expect(await new AuthoritativeDnsVerifier({ createResolver: world({ cname: ['LB-DE.example.net.'] }).create }).answers(RECORD, { type: 'CNAME', value: 'lb-de.example.net' })).toBe(true);
  });
});
