/**
 * Bundle the demo app into one JS file (esbuild): `<outDir>/server.js`, with the
 * database drivers inlined, so its image needs only the node binary.
 *
 *   npx tsx examples/demo-app/bundle.ts OUT_DIR
 */
import { build } from 'esbuild';
import { resolve } from 'node:path';

export async function bundleDemoApp(outDir: string): Promise<string> {
  const outfile = resolve(outDir, 'server.js');
  await build({
    entryPoints: [resolve(import.meta.dirname, 'server.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: false,
    legalComments: 'none',
    logLevel: 'warning',
    // Optional native add-ons the drivers probe for; the pure-JS paths are used.
    external: ['pg-native', 'cloudflare:sockets'],
  });
  return outfile;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: tsx examples/demo-app/bundle.ts OUT_DIR');
  process.stdout.write(`${await bundleDemoApp(out)}\n`);
}
