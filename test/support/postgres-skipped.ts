/** Global setup used only when the PostgreSQL half is skipped: says so again after the run, where it is seen. */
import type { TestProject } from 'vitest/node';

export default function setup(project: TestProject) {
  const reason = (project.config.env as Record<string, string | undefined>).TEST_POSTGRES_SKIPPED;
  return () => {
    if (reason) console.warn(`\n${reason}\n`);
  };
}
