/**
 * Random bytes from the system's CSPRNG, drawn 16 KiB at a time: a call to it costs
 * about 4 µs whatever its size, more than the rest of making an id or a secret. Every
 * byte is handed out once, and a view handed out stays valid: a used-up pool is
 * replaced, never refilled in place.
 */
import { randomBytes } from 'node:crypto';

const POOL_BYTES = 16 * 1024;
let pool = Buffer.alloc(0);
let used = 0;

/** Where the next `size` bytes of the pool start (a new pool when this one has too few left); size ≤ POOL_BYTES. */
function take(size: number): number {
  if (used + size > pool.length) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  return (used += size) - size;
}

export function pooledRandomBytes(size: number): Buffer {
  if (size > POOL_BYTES) return randomBytes(size);
  const at = take(size);
  return pool.subarray(at, at + size);
}

/** Fills `target` with bytes of the pool, as `pooledRandomBytes` would give them, without a view for each call (an id's 16 bytes). */
export function fillPooledRandomBytes(target: Uint8Array): void {
  if (target.length > POOL_BYTES) return target.set(randomBytes(target.length));
  const at = take(target.length);
  for (let i = 0; i < target.length; i++) target[i] = pool[at + i]!;
}
