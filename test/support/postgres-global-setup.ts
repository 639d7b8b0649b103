/** Once per run of the PostgreSQL half: afterwards, drop any schema a test of this run left behind. */
import type { TestProject } from 'vitest/node';
import { dropRunSchemas, testPostgresUrl } from './postgres.ts';

export default function setup(project: TestProject) {
  const env = project.config.env as Record<string, string | undefined>;
  const runId = env.TEST_RUN_ID;
  return async () => {
    if (runId) await dropRunSchemas(testPostgresUrl(env), runId);
  };
}
