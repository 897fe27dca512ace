import { defineConfig } from 'vitest/config';

// One config, four projects: `npm test` runs them all; `npm run test:<project>` runs one.
export default defineConfig({
  test: {
    // Logs stay quiet in tests; a test about logging sets its own level.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR' },
    coverage: {
      provider: 'v8',
      include: ['shared/**/*.ts', 'functions/**/*.ts', 'local/**/*.ts', 'infra/**/*.ts'],
      reporter: ['text-summary', 'text'],
      thresholds: {
        'shared/domain/**': { lines: 90 },
      },
    },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        // Every handler's logs on, scanned for raw subscriber identifiers (test/support/identifier-scan-setup.ts).
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], testTimeout: 60_000, setupFiles: ['test/support/identifier-scan-setup.ts'] },
      },
      {
        extends: true,
        test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 120_000 },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 180_000, setupFiles: ['test/support/identifier-scan-setup.ts'] },
      },
    ],
  },
});
