/**
 * Row ids: UUIDv7, time-ordered, so inserts land at the end of each primary-key
 * B-tree instead of anywhere in it (at a million users, random v4 ids cost a
 * quarter of createUser's throughput). Random bits keep them unguessable: 74 in the
 * first id of a millisecond, 42 beside the counter in the ids after it.
 *
 * The random bits come from the process's pool (random.ts): uuid's own pool (256
 * bytes) called the CSPRNG every 16 ids, 0.57 µs an id, where the pool's share is
 * 0.02. Given its own bytes, uuid keeps no order within a millisecond, so the
 * counter that does is kept here, as uuid keeps it (RFC 9562 §6.2, method 1):
 * seeded from the random bits each new millisecond, counted up within one, and
 * carried into the next when it wraps.
 *
 * The id is then written out here too, with uuid's own layout (`uuidV7`): uuid's
 * `v7` built an options object, a byte array and the text from it (in pieces, then
 * lower-cased whole), half of an id's cost, and a bulk createUsers makes two ids a user.
 */
import { fillPooledRandomBytes } from './random.ts';

let msecs = -Infinity;
let seq = 0;
/** Each id's random bytes, drawn into one array rather than a view of the pool each. */
const random = new Uint8Array(16);

export function newId(): string {
  fillPooledRandomBytes(random);
  const now = Date.now();
  if (now > msecs) {
    seq = (random[6]! << 23) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
    msecs = now;
  } else {
    seq = (seq + 1) | 0;
    if (seq === 0) msecs++;
  }
  return uuidV7(random, msecs, seq);
}

/** Hex digits as ASCII, and where each of an id's 16 bytes goes in its text. */
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const BYTE_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
/** Each id's text is written here, then read out as one string. */
const text = Buffer.from('00000000-0000-0000-0000-000000000000', 'latin1');

function put(index: number, byte: number): void {
  const at = BYTE_AT[index]!;
  text[at] = HEX_DIGITS[byte >> 4]!;
  text[at + 1] = HEX_DIGITS[byte & 0x0f]!;
}

/**
 * The UUIDv7 of these milliseconds, counter and random bytes (the last 5 and the low
 * 2 bits of the 11th): byte for byte what uuid's `v7({ random, msecs, seq })` writes.
 * Read out of one buffer, the text is one flat string: joined from its pieces, it
 * would be a tree of some twenty strings that each use (a statement's binding) flattens.
 */
export function uuidV7(random: Uint8Array, msecs: number, seq: number): string {
  put(0, (msecs / 0x10000000000) & 0xff);
  put(1, (msecs / 0x100000000) & 0xff);
  put(2, (msecs / 0x1000000) & 0xff);
  put(3, (msecs / 0x10000) & 0xff);
  put(4, (msecs / 0x100) & 0xff);
  put(5, msecs & 0xff);
  put(6, 0x70 | ((seq >>> 28) & 0x0f));
  put(7, (seq >>> 20) & 0xff);
  put(8, 0x80 | ((seq >>> 14) & 0x3f));
  put(9, (seq >>> 6) & 0xff);
  put(10, ((seq << 2) & 0xff) | (random[10]! & 0x03));
  for (let i = 11; i < 16; i++) put(i, random[i]!);
  return text.toString('latin1');
}
