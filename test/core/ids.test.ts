import { randomBytes, randomInt } from 'node:crypto';
import { v7 as uuidv7, validate, version } from 'uuid';
import { describe, expect, it } from 'vitest';
import { newId, uuidV7 } from '../../src/ids.ts';

describe('ids', () => {
  it('writes a UUIDv7 byte for byte as uuid does', () => {
    const times = [0, 1, 0xff, 2 ** 32 - 1, 2 ** 32, Date.now(), 2 ** 48 - 1];
    const counters = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 0x0fffffff];
    for (let i = 0; i < 2000; i++) {
      const random = randomBytes(16);
      const msecs = i < times.length ? times[i]! : randomInt(2 ** 48 - 1);
      const seq = i < counters.length ? counters[i]! : randomInt(2 ** 32) | 0;
      expect(uuidV7(random, msecs, seq)).toBe(uuidv7({ random, msecs, seq }));
    }
  });

  it('makes valid v7 ids in order', () => {
    const ids = Array.from({ length: 5000 }, newId);
    for (const id of ids) expect(validate(id) && version(id)).toBe(7);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
