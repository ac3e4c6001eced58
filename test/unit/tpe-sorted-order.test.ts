/**
 * Kernel orders by one coordinate (sorted-order.ts): every way of getting one (a fresh bucket sort, an update from
 * the previous kernels' order, in-place drops, renames and inserts) gives the (value, index) order of a plain
 * stable sort, with the values alongside; edits report the kernels whose sorted neighbours changed.
 */
import { describe, expect, it } from "vitest";
import {
  dropRenumbered,
  editedSorted,
  insertSorted,
  positionOf,
  type Sorted,
  SortScratch,
  sortedBy,
  sortedOrder,
  updatedSorted,
} from "../../src/algorithms/tpe/sorted-order.js";
import { createRng, type Rng } from "../../src/math/rng.js";
import { randomEdit } from "./tpe-helpers.js";

/** Indices 0..n−1 by (mu[i·stride + offset], i). */
function reference(mu: Float64Array, n: number, stride: number, offset: number): number[] {
  return Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => mu[a * stride + offset]! - mu[b * stride + offset]! || a - b,
  );
}

function expectOrder(got: Sorted, mu: Float64Array, n: number, stride: number, offset: number, what: string): void {
  const want = reference(mu, n, stride, offset);
  expect(Array.from(got.order), what).toEqual(want);
  expect(Array.from(got.values), what).toEqual(want.map((i) => mu[i * stride + offset]!));
}

/** Values of several shapes: distinct, many ties, one crowded bucket, an outlier stretching the range, negatives. */
function values(rng: Rng, n: number, shape: number): () => number {
  switch (shape % 5) {
    case 0:
      return () => rng.uniform();
    case 1:
      return () => Math.floor(rng.uniform() * 5) / 5;
    case 2:
      return () => (rng.uniform() < 0.02 ? 1e6 : rng.uniform() * 1e-3);
    case 3:
      return () => -3 + 6 * rng.normal();
    default:
      return () => (rng.uniform() < 0.5 ? 7 : 7 + rng.uniform() * 1e-9 * n);
  }
}

describe("sortedOrder and sortedBy", () => {
  it("equal a stable sort by value, for any stride and offset, through crowded buckets and ties", () => {
    const rng = createRng(1);
    const scratch = new SortScratch();
    for (let t = 0; t < 300; t++) {
      const n = t < 4 ? t : 1 + Math.floor(rng.uniform() * (t % 3 === 0 ? 400 : 60));
      const stride = 1 + (t % 3);
      const offset = t % stride;
      const next = values(rng, n, t);
      const mu = Float64Array.from({ length: n * stride }, next);
      expect(Array.from(sortedOrder(mu, n, stride, offset, scratch)), `trial ${t}`).toEqual(
        reference(mu, n, stride, offset),
      );
      expectOrder(sortedBy(mu, n, stride, offset, scratch), mu, n, stride, offset, `trial ${t}`);
    }
  });

  it("all equal values, and the scratch reused from a larger call for a smaller one and back", () => {
    const scratch = new SortScratch();
    for (const n of [1, 2, 33, 200, 5, 1000, 64]) {
      const same = new Float64Array(n).fill(0.25);
      expectOrder(sortedBy(same, n, 1, 0, scratch), same, n, 1, 0, `${n} equal`);
      const down = Float64Array.from({ length: n }, (_, i) => n - i);
      expectOrder(sortedBy(down, n, 1, 0, scratch), down, n, 1, 0, `${n} descending`);
    }
  });
});

describe("updatedSorted", () => {
  it("equals a fresh sort after drops, renames and additions (few or more than 32 added)", () => {
    const rng = createRng(2);
    for (let t = 0; t < 200; t++) {
      const n0 = Math.floor(rng.uniform() * 80);
      const next = values(rng, n0, t);
      const old = Float64Array.from({ length: n0 }, next);
      const prev = sortedBy(old, n0, 1, 0, new SortScratch());
      const edit = randomEdit(rng, old, next, { insert: t % 4 === 0 ? 0.6 : 0.1, keep: 0.8, repeat: t % 4 === 0 });
      // Additions at the end too (after every old kernel).
      const extra = t % 2 === 0 ? 3 : t % 4 === 3 ? 40 : 0;
      const mu = Float64Array.from([...edit.next, ...Array.from({ length: extra }, next)]);
      const added = [...edit.added, ...Array.from({ length: extra }, (_, q) => edit.next.length + q)];
      const got = updatedSorted(mu, mu.length, 1, 0, prev, edit.newOf, Uint32Array.from(added));
      expectOrder(got, mu, mu.length, 1, 0, `trial ${t}`);
    }
  });

  it("reads the coordinate at its stride and offset", () => {
    const rng = createRng(3);
    const n0 = 50;
    const old = Float64Array.from({ length: n0 * 3 }, () => Math.floor(rng.uniform() * 8));
    const prev = sortedBy(old, n0, 3, 2, new SortScratch());
    const newOf = Int32Array.from({ length: n0 }, (_, k) => (k % 5 === 0 ? -1 : k - Math.floor(k / 5) - 1));
    const kept = n0 - 10;
    const mu = new Float64Array((kept + 35) * 3);
    for (let k = 0; k < n0; k++) if (newOf[k]! >= 0) mu.set(old.subarray(k * 3, k * 3 + 3), newOf[k]! * 3);
    for (let k = kept; k < kept + 35; k++) for (let j = 0; j < 3; j++) mu[k * 3 + j] = Math.floor(rng.uniform() * 8);
    const added = Uint32Array.from({ length: 35 }, (_, q) => kept + q);
    expectOrder(updatedSorted(mu, kept + 35, 3, 2, prev, newOf, added), mu, kept + 35, 3, 2, "stride 3, offset 2");
  });

  it("refuses a count that does not add up", () => {
    const old = Float64Array.of(0.3, 0.1, 0.2);
    const prev = sortedBy(old, 3, 1, 0, new SortScratch());
    expect(() => updatedSorted(old, 4, 1, 0, prev, Int32Array.of(0, 1, 2), new Uint32Array(0))).toThrow(
      /3 kernels placed, expected 4/,
    );
  });
});

describe("positionOf, insertSorted, dropRenumbered, editedSorted", () => {
  it("positionOf finds a kernel, or where it would go, by (value, index)", () => {
    const mu = Float64Array.of(0.5, 0.2, 0.5, 0.9, 0.2, 0.5);
    const s = sortedBy(mu, mu.length, 1, 0, new SortScratch());
    for (let k = 0; k < mu.length; k++) expect(s.order[positionOf(s, k, mu[k]!)]).toBe(k);
    expect(positionOf(s, 3, 0.5)).toBe(4); // between kernels 2 and 5 of value 0.5
    expect(positionOf(s, 9, 0.5)).toBe(5);
    expect(positionOf(s, 0, 0.1)).toBe(0);
    expect(positionOf(s, 0, 1)).toBe(6);
    expect(positionOf(s, 1, 0.2)).toBe(0);
  });

  it("insertSorted keeps the order through many inserts, growing its arrays and reusing their spare room", () => {
    const rng = createRng(4);
    let s: Sorted = { order: new Uint32Array(0), values: new Float64Array(0) };
    const mu: number[] = [];
    const before = s.order;
    for (let k = 0; k < 120; k++) {
      const v = Math.floor(rng.uniform() * 10);
      mu.push(v);
      const { sorted, at } = insertSorted(s, k, v);
      // The arrays it was given are never shortened or reordered under a caller still holding them.
      expect(s.order.length).toBe(k);
      s = sorted;
      expect(s.order[at]).toBe(k);
      expectOrder(s, Float64Array.from(mu), k + 1, 1, 0, `after ${k + 1}`);
    }
    expect(before.length).toBe(0);
  });

  it("insertSorted writes into the spare room of the same buffer when there is some", () => {
    const buf = {
      order: new Uint32Array(new ArrayBuffer(4 * 8), 0, 2),
      values: new Float64Array(new ArrayBuffer(8 * 8), 0, 2),
    };
    buf.order.set([1, 0]);
    buf.values.set([0.1, 0.7]);
    const { sorted } = insertSorted(buf, 2, 0.4);
    expect(sorted.order.buffer).toBe(buf.order.buffer);
    expect(sorted.values.buffer).toBe(buf.values.buffer);
    expect(Array.from(sorted.order)).toEqual([1, 2, 0]);
    expect(Array.from(sorted.values)).toEqual([0.1, 0.4, 0.7]);
  });

  it("dropRenumbered renames in place and reports the kept kernels next to a dropped one", () => {
    // Values by kernel: 0:0.1 1:0.2 2:0.3 3:0.4 4:0.5 5:0.6; drop 1 and 4, rename the rest 0..3.
    const mu = Float64Array.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6);
    const s = sortedBy(mu, 6, 1, 0, new SortScratch());
    const touched = new Set<number>();
    const got = dropRenumbered(s, Int32Array.of(0, -1, 1, 2, -1, 3), touched);
    expect(Array.from(got.order)).toEqual([0, 1, 2, 3]);
    expect(Array.from(got.values)).toEqual([0.1, 0.3, 0.4, 0.6]);
    expect([...touched].sort()).toEqual([0, 1, 2, 3]);
    // Dropping the first and the last: their one neighbour each.
    const t2 = new Set<number>();
    const s2 = sortedBy(mu, 6, 1, 0, new SortScratch());
    dropRenumbered(s2, Int32Array.of(-1, 0, 1, 2, 3, -1), t2);
    expect([...t2].sort()).toEqual([0, 3]);
    // Nothing dropped: the same view back, nothing touched.
    const t3 = new Set<number>();
    const s3 = sortedBy(mu, 6, 1, 0, new SortScratch());
    expect(dropRenumbered(s3, Int32Array.of(0, 1, 2, 3, 4, 5), t3)).toBe(s3);
    expect(t3.size).toBe(0);
  });

  it("editedSorted equals a fresh sort and touches the added kernels and their new neighbours", () => {
    const rng = createRng(5);
    for (let t = 0; t < 150; t++) {
      const n0 = 1 + Math.floor(rng.uniform() * 30);
      const next = values(rng, n0, t);
      const old = Float64Array.from({ length: n0 }, next);
      const edit = randomEdit(rng, old, next, { insert: 0.15, keep: 0.85, repeat: false });
      const touched = new Set<number>();
      const newOf = t % 5 === 0 ? undefined : edit.newOf;
      const mu = newOf === undefined ? Float64Array.from([...old, next(), next()]) : edit.next;
      const added = newOf === undefined ? [n0, n0 + 1] : edit.added;
      const got = editedSorted(sortedBy(old, n0, 1, 0, new SortScratch()), newOf, added, mu, 1, 0, touched);
      expectOrder(got, mu, mu.length, 1, 0, `trial ${t}`);
      const order = Array.from(got.order);
      const want = new Set<number>();
      for (const k of added) {
        const r = order.indexOf(k);
        want.add(k);
        if (r > 0) want.add(order[r - 1]!);
        if (r < order.length - 1) want.add(order[r + 1]!);
      }
      // Kept kernels next to a dropped one (in the old order) are touched too.
      if (newOf !== undefined) {
        const oldOrder = reference(old, n0, 1, 0);
        for (const [r, k] of oldOrder.entries()) {
          if (newOf[k]! >= 0) continue;
          for (const q of [r - 1, r + 1]) {
            const o = oldOrder[q];
            if (o !== undefined && newOf[o]! >= 0) want.add(newOf[o]!);
          }
        }
      }
      expect(
        [...touched].sort((a, b) => a - b),
        `trial ${t}`,
      ).toEqual([...want].sort((a, b) => a - b));
    }
  });
});
