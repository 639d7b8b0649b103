/**
 * How a delivery worker shares its places between groups (API.md §17): each group
 * with work gets at most ceil(capacity / groups with work) while others wait, and an
 * endpoint held past the slot bound gives its place back (after the attempt under
 * way) when another group is owed one, or its own group has endpoints waiting.
 * A pure function of what the worker holds and what waits, so it reads on its own.
 */
import type { ClaimedWebhookEndpoint } from '../db/store.ts';

/** An endpoint a worker holds: its place, its lease, its runner's wake-up. */
export interface Held {
  endpoint: ClaimedWebhookEndpoint;
  /** When this worker claimed it (its clock): how long it has had its place. */
  since: number;
  /** Asked to give its place back (others wait): finishes the attempt under way, then stops. */
  yielding: boolean;
  /** This worker's clock time until which the lease is surely still its own. */
  leaseDeadline: number;
  held: boolean;
  wake: (() => void) | null;
}

export interface FairSharePlan {
  /** Held endpoints to ask to give their place back now. */
  yielding: Held[];
  /** Endpoints delivering (not yielding) once those have been asked. */
  active: number;
  /** How many more endpoints each waiting group may be given. */
  quotas: Record<string, number>;
}

export function fairShares(input: {
  held: readonly Held[];
  /** Endpoints waiting for a place, counted by group. */
  waiting: Record<string, number>;
  capacity: number;
  slotMs: number;
  now: number;
}): FairSharePlan {
  const { capacity, waiting } = input;
  const waitingGroups = Object.keys(waiting);
  const holding = new Map<string, number>();
  let active = 0;
  for (const h of input.held) {
    if (h.yielding) continue;
    active++;
    holding.set(h.endpoint.groupId, (holding.get(h.endpoint.groupId) ?? 0) + 1);
  }
  const groupsWithWork = new Set([...holding.keys(), ...waitingGroups]);
  const share = groupsWithWork.size === 1 ? capacity : Math.ceil(capacity / groupsWithWork.size);
  const quota = (group: string) => Math.max(0, share - (holding.get(group) ?? 0));
  const room = Math.min(capacity - active, 2 * capacity - input.held.length);

  // Places owed to groups below their share beyond the room there is.
  let owed = waitingGroups.reduce((n, group) => n + Math.min(quota(group), waiting[group]!), 0) - Math.max(0, room);
  const rotating = new Set(waitingGroups.filter((group) => quota(group) === 0 || room <= 0));
  const over = (h: Held) => (holding.get(h.endpoint.groupId) ?? 0) - share;
  const longHeld = input.held
    .filter((h) => h.held && !h.yielding && input.now - h.since >= input.slotMs)
    .sort((a, b) => over(b) - over(a) || a.since - b.since);
  const yielding: Held[] = [];
  for (const h of longHeld) {
    const forOthers = owed > 0 && over(h) > 0;
    if (!forOthers && !rotating.has(h.endpoint.groupId)) continue;
    yielding.push(h);
    active--;
    holding.set(h.endpoint.groupId, (holding.get(h.endpoint.groupId) ?? 1) - 1);
    if (forOthers) owed--;
  }
  return { yielding, active, quotas: Object.fromEntries(waitingGroups.map((group) => [group, quota(group)])) };
}
