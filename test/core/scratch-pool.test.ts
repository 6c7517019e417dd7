import { describe, expect, it } from "vitest";
import { ScratchPool, ScratchScope, withScratch } from "../../src/core/scratch-pool.js";

describe("ScratchPool", () => {
  it("reuses a given-back array of the same type and length, zero-filled again", () => {
    const pool = new ScratchPool();
    const a = pool.borrow(Float64Array, 1000);
    a.fill(7.5);
    pool.giveBack(a);
    const b = pool.borrow(Float64Array, 1000);
    expect(b).toBe(a);
    expect(b.every((v) => v === 0)).toBe(true);
  });

  it("keys arrays by type and length", () => {
    const pool = new ScratchPool();
    const a = pool.borrow(Float32Array, 64);
    pool.giveBack(a);
    const otherLength = pool.borrow(Float32Array, 65);
    const otherType = pool.borrow(Uint32Array, 64);
    expect(otherLength).not.toBe(a);
    expect(otherType).not.toBe(a);
    expect(otherLength).toBeInstanceOf(Float32Array);
    expect(otherType).toBeInstanceOf(Uint32Array);
    expect(pool.borrow(Float32Array, 64)).toBe(a);
  });

  it("never lends one array twice at once", () => {
    const pool = new ScratchPool();
    const a = pool.borrow(Uint8Array, 16);
    const b = pool.borrow(Uint8Array, 16);
    expect(b).not.toBe(a);
    pool.giveBack(a);
    pool.giveBack(b);
    const c = pool.borrow(Uint8Array, 16);
    const d = pool.borrow(Uint8Array, 16);
    expect(new Set([c, d])).toEqual(new Set([a, b]));
  });

  it("rejects an array it did not lend, and a second give-back", () => {
    const pool = new ScratchPool();
    expect(() => pool.giveBack(new Uint8Array(8))).toThrow(RangeError);
    const a = pool.borrow(Uint8Array, 8);
    pool.giveBack(a);
    expect(() => pool.giveBack(a)).toThrow(RangeError);
  });

  it("keeps at most its byte budget of free arrays, dropping the oldest", () => {
    const pool = new ScratchPool(3000);
    const first = pool.borrow(Float64Array, 200); // 1600 bytes
    const second = pool.borrow(Float64Array, 200);
    pool.giveBack(first);
    expect(pool.heldBytes).toBe(1600);
    pool.giveBack(second); // 3200 > 3000: the oldest, `first`, goes
    expect(pool.heldBytes).toBe(1600);
    expect(pool.borrow(Float64Array, 200)).toBe(second);
    expect(pool.borrow(Float64Array, 200)).not.toBe(first);
  });

  it("clear drops the free arrays", () => {
    const pool = new ScratchPool();
    const a = pool.borrow(Int32Array, 10);
    pool.giveBack(a);
    pool.clear();
    expect(pool.heldBytes).toBe(0);
    expect(pool.borrow(Int32Array, 10)).not.toBe(a);
  });
});

describe("scratch scopes", () => {
  it("withScratch gives every taken array back when the work returns", () => {
    const pool = new ScratchPool();
    const taken: Float32Array[] = [];
    const sum = withScratch((s) => {
      const a = s.take(Float32Array, 4);
      const b = s.take(Float32Array, 4);
      taken.push(a, b);
      a.set([1, 2, 3, 4]);
      b.set(a);
      return b.reduce((x, y) => x + y, 0);
    }, pool);
    expect(sum).toBe(10);
    expect(pool.heldBytes).toBe(32);
    const again = [pool.borrow(Float32Array, 4), pool.borrow(Float32Array, 4)];
    expect(new Set(again)).toEqual(new Set(taken));
  });

  it("withScratch gives the arrays back when the work throws", () => {
    const pool = new ScratchPool();
    expect(() =>
      withScratch((s) => {
        s.take(Uint16Array, 8);
        throw new RangeError("boom");
      }, pool),
    ).toThrow("boom");
    expect(pool.heldBytes).toBe(16);
  });

  it("a released scope holds nothing, and releasing twice gives nothing back twice", () => {
    const pool = new ScratchPool();
    const scope = new ScratchScope(pool);
    scope.take(Uint8Array, 100);
    scope.release();
    expect(pool.heldBytes).toBe(100);
    scope.release();
    expect(pool.heldBytes).toBe(100);
  });
});
