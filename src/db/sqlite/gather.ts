/**
 * When the group commit commits: at the end of the first turn of the event loop that
 * queued no more units, or after GATHER_TURNS turns that each did. A lone write
 * commits at the end of the turn that queued it, as it would without gathering; under
 * load, the writes of the requests read in the next turns join it. A COMMIT's fsync
 * costs about 65 µs of CPU here, so one made durable by ten writes instead of five
 * halves its share of each (docs/performance.md). The server's group commit and the
 * benchmark's floors both gather through this.
 */

/** At most how many more turns a group commit waits while each brings more writes. */
const GATHER_TURNS = 2;

/** Calls `commit` once the units queued (`queued()`, how many there are) stop growing, or after GATHER_TURNS turns. */
export function gatherThenCommit(queued: () => number, commit: () => void): void {
  const waitTurn = (turn: number, seen: number) =>
    setImmediate(() => {
      const now = queued();
      if (now > seen && turn < GATHER_TURNS) waitTurn(turn + 1, now);
      else commit();
    });
  waitTurn(0, queued());
}
