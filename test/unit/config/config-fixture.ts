/** A minimal valid twinstack.yaml as a plain object, and a helper to break one field of it. */

export type Loose = Record<string, unknown>;

const KEY_A = 'SHA256:Ds5YspA2P29maeXViSuLSK/n64FAgDdwMk2dlKD0H6A';
const KEY_B = 'SHA256:QQ9FkKa/cGc58ro9nSZINkNP92/KBBJtj635ULzaO/8';

/** A fresh minimal valid config (only required keys), safe to mutate. */
export function minimalConfig(): Loose {
  return {
    version: 1,
    groups: [
      {
        name: 'shop',
        dns: { zone: 'example.com', name: 'shop.example.com' },
        primary: {
          name: 'shop-eu',
          region: 'eu-west-1',
          endpoint: '203.0.113.10',
          healthUrl: 'http://203.0.113.10/healthz',
          hosts: [
            { name: 'web1', address: '203.0.113.11', user: 'ubuntu', hostKey: KEY_A },
            { name: 'db1', address: '203.0.113.12', user: 'ubuntu', hostKey: KEY_B },
          ],
          deploy: { directory: '/srv/shop' },
        },
        twin: {
          name: 'shop-de',
          region: 'eu-central-1',
          endpoint: '198.51.100.10',
          healthUrl: 'http://198.51.100.10/healthz',
          hosts: [
            { name: 'web1', address: '198.51.100.11', user: 'ubuntu', hostKey: KEY_A },
            { name: 'db1', address: '198.51.100.12', user: 'ubuntu', hostKey: KEY_B },
          ],
          deploy: { directory: '/srv/shop' },
        },
        databases: [{ name: 'main', engine: 'postgres', host: 'db1' }],
      },
    ],
  };
}

/** Sets (or, with `undefined`, deletes) the value at a dotted path such as `groups.0.primary.hosts.1.user`. */
export function withValue(config: Loose, path: string, value: unknown): Loose {
  const keys = path.split('.');
  const last = keys.pop() ?? '';
  let node = config as Record<string, unknown>;
  for (const key of keys) node = node[key] as Record<string, unknown>;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return config;
}
