/**
 * The dependency direction of the code (domain <- ports <- use cases <- adapters, composition roots and
 * entry points) is enforced by the linter's configuration, .oxlintrc.json: `npm run lint`. These tests run
 * the real linter: once on the tree, which must be clean, and once on small files placed where a wrong
 * import would go, to show that the configuration refuses each kind of wrong arrow.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const OXLINT = join(ROOT, 'node_modules', '.bin', 'oxlint');

interface Diagnostic {
  readonly code: string;
  readonly filename: string;
  readonly message: string;
  readonly help?: string;
}

/** Runs oxlint with the project's configuration in `cwd`; its JSON report's diagnostics. */
async function lint(cwd: string, paths: readonly string[]): Promise<Diagnostic[]> {
  const run = promisify(execFile);
  const args = ['-c', join(cwd, '.oxlintrc.json'), '--format', 'json', ...paths];
  const out = await run(OXLINT, args, { cwd, maxBuffer: 64 * 1024 * 1024 }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  const report = JSON.parse(out.stdout) as { diagnostics: Diagnostic[] };
  return report.diagnostics;
}

describe('dependency direction', () => {
  it('holds on the whole tree (npm run lint is clean)', async () => {
    // Act
    const diagnostics = await lint(ROOT, ['shared', 'functions', 'infra', 'local', 'bench', 'test']);

    // Assert
    expect(diagnostics.map((d) => `${d.filename}: ${d.message}`)).toEqual([]);
  });

  describe('refuses a wrong arrow', () => {
    let sandbox: string;

    /** One file per wrong arrow, each with one import, in a copy of the layout with the project's configuration. */
    const cases: ReadonlyArray<readonly [file: string, source: string, help: RegExp]> = [
      ['shared/domain/wrong.ts', "import type { UsageStore } from '../ports/usage-store.js';", /shared\/domain is the pure core/],
      ['shared/domain/wrong-adapter.ts', "import { DynamoUsageStore } from '../adapters/dynamo-usage-store.js';", /shared\/domain is the pure core/],
      ['shared/ports/wrong.ts', "import { DynamoUsageStore } from '../adapters/dynamo-usage-store.js';", /a port is an interface over the domain/],
      ['shared/ingest/wrong.ts', "import { DynamoUsageStore } from '../adapters/dynamo-usage-store.js';", /a use case depends on ports/],
      ['shared/policy/wrong.ts', "import { policyConfigFromEnv } from './config.js';", /only entry points import it/],
      ['shared/adapters/wrong.ts', "import { ingestBatch } from '../ingest/ingest-batch.js';", /adapters and configuration implement ports/],
      ['shared/feeds/wrong.ts', "import { handler } from '../../functions/ingest-events/handler.js';", /use case depends on ports/],
      ['shared/config/wrong.ts', "import { startLocal } from '../../local/start.js';", /adapters and configuration implement ports/],
      ['shared/selfcare/config.ts', "import { harness } from '../../test/support/ingest-harness.js';", /composition root/],
    ];

    beforeAll(() => {
      sandbox = mkdtempSync(join(tmpdir(), 'spendcap-boundaries-'));
      copyFileSync(join(ROOT, '.oxlintrc.json'), join(sandbox, '.oxlintrc.json'));
      for (const [file, source] of cases) {
        mkdirSync(dirname(join(sandbox, file)), { recursive: true });
        writeFileSync(join(sandbox, file), `${source}\nexport const used = [${source.match(/\{ (\w+) \}/)?.[1] ?? 'undefined'}];\n`);
      }
      // The right arrows, which must stay allowed.
      writeFileSync(join(sandbox, 'shared/domain/right.ts'), "import { z } from 'zod';\nimport { used } from './wrong.js';\nexport const ok = [z, used];\n");
      writeFileSync(join(sandbox, 'shared/ingest/right.ts'), "import type { UsageStore } from '../ports/usage-store.js';\nimport { x } from '../domain/usage.js';\nexport const ok: UsageStore | number = x;\n");
      mkdirSync(join(sandbox, 'functions/ingest-events'), { recursive: true });
      writeFileSync(join(sandbox, 'functions/ingest-events/right.ts'), "import { DynamoUsageStore } from '../../shared/adapters/dynamo-usage-store.js';\nexport const ok = DynamoUsageStore;\n");
    });

    afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

    it('each one, with the reason, and nothing else', async () => {
      // Act
      const diagnostics = await lint(sandbox, ['shared', 'functions']);

      // Assert
      const restricted = diagnostics.filter((d) => d.code === 'eslint(no-restricted-imports)');
      expect(restricted.map((d) => d.filename).sort()).toEqual(cases.map(([file]) => file).sort());
      for (const [file, , help] of cases) {
        expect(restricted.find((d) => d.filename === file)?.help).toMatch(help);
      }
    });
  });
});
