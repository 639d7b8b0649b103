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

export function pooledRandomBytes(size: number): Buffer {
  if (size > POOL_BYTES) return randomBytes(size);
  if (used + size > pool.length) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  return pool.subarray(used, (used += size));
}

/** Fills `target` with bytes of the pool, as `pooledRandomBytes` would give them, without a view for each call (an id's 16 bytes). */
export function fillPooledRandomBytes(target: Uint8Array): void {
  const size = target.length;
  if (size > POOL_BYTES) {
    target.set(randomBytes(size));
    return;
  }
  if (used + size > pool.length) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  for (let i = 0; i < size; i++) target[i] = pool[used + i]!;
  used += size;
}
