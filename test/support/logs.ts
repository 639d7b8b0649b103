/** A logger whose lines a test reads: the app's own pino logger, writing into memory. */
import { createLogger, type Logger } from '../../src/observability/logger.ts';
import type { LogLevel } from '../../src/config/config.ts';

export interface CapturedLogs {
  logger: Logger;
  /** Every line written so far, parsed. */
  lines(): Array<Record<string, any>>;
  /** Everything written so far, as written. */
  text(): string;
}

export function captureLogs(level: LogLevel = 'info'): CapturedLogs {
  let text = '';
  // pino accepts any object with write(); this one stores each line as it is written.
  const destination = { write: (line: string) => void (text += line) };
  return {
    logger: createLogger({ level, destination: destination as never }),
    lines: () => text.split('\n').filter(Boolean).map((line) => JSON.parse(line)),
    text: () => text,
  };
}
