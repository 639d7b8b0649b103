/**
 * `vitest run` runs the whole suite twice: once on SQLite, once on PostgreSQL
 * (TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test). The server
 * is probed once here: when it does not answer, the PostgreSQL half is skipped
 * and the run says so, except in CI (CI=true), where that is a failure.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { buildForTests } from './test/support/build.ts';
import { probePostgres, redactedUrl, testPostgresUrl } from './test/support/postgres.ts';

/** Vitest may evaluate this file more than once per run; probe and warn only the first time. */
const memo = globalThis as { teamApiPostgresProbe?: Promise<string | null>; teamApiBuild?: string };

export default defineConfig(async () => {
  const postgresUrl = testPostgresUrl(process.env);
  const firstEvaluation = !memo.teamApiPostgresProbe;
  memo.teamApiPostgresProbe ??= probePostgres(postgresUrl);
  const unreachable = await memo.teamApiPostgresProbe;
  const ci = ['true', '1'].includes((process.env.CI ?? '').toLowerCase());
  if (unreachable && ci) {
    throw new Error(
      `PostgreSQL at ${redactedUrl(postgresUrl)} did not answer (${unreachable}). CI runs the suite on both databases; set TEST_POSTGRES_URL or start the server.`,
    );
  }
  const skipped = unreachable
    ? `PostgreSQL half SKIPPED: ${redactedUrl(postgresUrl)} did not answer (${unreachable}). Only SQLite was tested. Start PostgreSQL or set TEST_POSTGRES_URL to run both.`
    : null;
  if (skipped && firstEvaluation) console.warn(`\n${skipped}\n`);
  // What spawned servers and CLIs run (test/support/build.ts).
  memo.teamApiBuild ??= buildForTests(fileURLToPath(new URL('.', import.meta.url)));
  const TEST_BUILD_DIR = memo.teamApiBuild;

  const projects: TestProjectInlineConfiguration[] = [
    {
      extends: true,
      test: {
        name: 'sqlite',
        env: { TEST_DATABASE: 'sqlite', TEST_BUILD_DIR, ...(skipped ? { TEST_POSTGRES_SKIPPED: skipped } : {}) },
        ...(skipped ? { globalSetup: ['test/support/postgres-skipped.ts'] } : {}),
      },
    },
  ];
  if (!skipped) {
    projects.push({
      extends: true,
      test: {
        name: 'postgres',
        // The run id prefixes every schema this run creates, so its teardown drops
        // exactly those, even while other runs share the database.
        env: { TEST_DATABASE: 'postgres', TEST_BUILD_DIR, TEST_POSTGRES_URL: postgresUrl, TEST_RUN_ID: randomBytes(4).toString('hex') },
        globalSetup: ['test/support/postgres-global-setup.ts'],
      },
    });
  }

  return {
    resolve: {
      // graphql 16 ships CJS (`main`) and ESM (`module`) builds without an exports map.
      // Node, and so every dependency (Yoga, Pothos), loads the CJS one; Vite would give
      // our own files the ESM one, and then `instanceof GraphQLError` fails across the two.
      alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }],
    },
    test: {
      include: ['test/**/*.test.ts'],
      // Most files wait on child processes, sockets and the databases rather than the
      // CPU; Vitest's default (one worker fewer than cores: one, on a 2-core machine)
      // left a core idle through most of the run.
      maxWorkers: availableParallelism() + 1,
      // Each worker imports the app's modules once for all its files instead of once
      // per file: that import was most of the suite's CPU (944 s of a 1,348 s run).
      // Every test builds its own app on its own database; no file leaves state behind.
      isolate: false,
      testTimeout: 30_000,
      hookTimeout: 30_000,
      projects,
    },
  };
});
