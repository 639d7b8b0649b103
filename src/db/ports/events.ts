/** The storage port for the event log (API.md §13): events written with their change, read as a feed. */

/** An event as the services hand it to the store, to be written with its change (API.md §13). */
export interface NewEvent {
  id: string;
  groupId: string;
  type: string;
  occurredAt: number;
  actor: { type: 'api_token' | 'user' | 'cli' | 'system'; id: string | null; name: string | null };
  target: { type: string; id: string; name: string | null };
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  /** A JSON object, already serialised. */
  data: string;
}

/**
 * Where an event stands in the feed: the order in which events commit. On SQLite,
 * writers take turns, so the sequence number alone is that order (`tx` is "0"). On
 * PostgreSQL a transaction that took a lower sequence number can commit after a
 * higher one is read, so the order is (transaction id, sequence number), and an
 * event is listed only once every transaction older than its own has ended.
 */
export interface EventPosition {
  /** A transaction id (xid8) as a decimal string; "0" on SQLite. */
  tx: string;
  seq: number;
}

export interface EventRecord extends NewEvent {
  position: EventPosition;
}

export interface EventFilter {
  after: EventPosition | null;
  /** Only these types; null for all. */
  types: string[] | null;
  /** Only events at or after this time (epoch ms). */
  since: number | null;
  limit: number;
}

export interface RecentEventFilter extends Pick<EventFilter, 'types' | 'limit'> {
  /** Only events before this position in the feed (older ones); null for the newest. */
  before: EventPosition | null;
}

/**
 * Events that depend on what the transaction found (a session's owner, the role a
 * membership had): built inside the transaction from that finding.
 */
export type EventsOf<T> = (found: T) => NewEvent[];

export interface EventStore {
  /** Writes events that stand alone, with no other change (a minted SSO token). */
  recordEvents(events: NewEvent[]): Promise<void>;
  /** The group's events in feed order, strictly after `after`, only those every earlier commit has joined. */
  listEvents(groupId: string, filter: EventFilter): Promise<EventRecord[]>;
  /**
   * The group's events newest first (the feed order reversed), strictly before
   * `before`: every event committed so far, for reading the log, not following it.
   */
  listRecentEvents(groupId: string, filter: RecentEventFilter): Promise<EventRecord[]>;
  /**
   * Waits (at most `timeoutMs`) until `listEvents` can show every event committed
   * before the call; false when it gave up. Immediate on SQLite; on PostgreSQL it
   * waits for the transactions older than the call to end.
   */
  feedCaughtUp(timeoutMs: number): Promise<boolean>;
  /**
   * How far the feed is behind what has committed, in milliseconds at `now`: the age of
   * the oldest committed event it cannot show yet (PostgreSQL, while an older
   * transaction still runs); 0 when it shows everything, and always on SQLite.
   */
  eventFeedLag(now: number): Promise<number>;
  /** Deletes events that occurred before `before` (epoch ms); returns how many. */
  purgeEvents(before: number): Promise<number>;
}
