/**
 * What a test opens (servers, databases, receivers, proxies), closed after it
 * whatever it ended with, the last opened first: `closing(await startServer(env),
 * (s) => s.stop('SIGKILL'))` hands the server back and stops it after the test.
 */
import { afterEach } from 'vitest';

export function closedAfterEach(): <T>(opened: T, close: (opened: T) => unknown) => T {
  const closes: Array<() => unknown> = [];
  afterEach(async () => {
    for (let close = closes.pop(); close; close = closes.pop()) await close();
  });
  return (opened, close) => {
    closes.push(() => close(opened));
    return opened;
  };
}
