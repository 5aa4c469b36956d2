/**
 * How every twinstack Lambda is bundled: local esbuild (no Docker), ESM for Node 22
 * with a `require` shim for CommonJS dependencies, minified with source maps.
 * The runtime has AWS SDK v3. Native addons (ssh2's sshcrypto, cpu-features) are built
 * for this machine, not Lambda arm64: left out, ssh2 loads them in try/catch and falls
 * back to pure JavaScript.
 */
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';

const CREATE_REQUIRE_BANNER = "import { createRequire as __twinstackCreateRequire } from 'node:module'; const require = __twinstackCreateRequire(import.meta.url);";

export function lambdaBundling(): nodejs.BundlingOptions {
  return {
    forceDockerBundling: false,
    format: nodejs.OutputFormat.ESM,
    mainFields: ['module', 'main'],
    banner: CREATE_REQUIRE_BANNER,
    target: 'node22',
    minify: true,
    sourceMap: true,
    externalModules: ['@aws-sdk/*', '*.node'],
  };
}
