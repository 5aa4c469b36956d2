import { defineConfig } from 'vitest/config';

/**
 * Four projects, one per kind of test (see DESIGN.md):
 * - unit: pure core (table-driven, no mocks) and adapters against aws-sdk-client-mock;
 * - integration: real PostgreSQL servers over real sshd on loopback (slow, serial);
 * - statemachines: the ASL files, validated and run by the local runtime with fakes;
 * - infra: CDK Template assertions and cdk-nag.
 */
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      { test: { name: 'statemachines', include: ['test/statemachines/**/*.test.ts'], testTimeout: 30_000 } },
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 120_000,
          env: { CDK_VALIDATION: 'false' },
        },
      },
    ],
  },
});
