// Array helpers that work for any length. Spreading an array into push or Math.max, or
// `fn.apply(null, values)`, passes every element as a call argument, on the stack: past roughly
// 100,000 elements (less with deep stacks) they throw "Maximum call stack size exceeded".
// eslint forbids spread arguments in calls (eslint.config.js); use these instead.

/** Appends every item to `target`, in order; returns `target`. Any length. */
export function pushAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const item of items) target.push(item);
  return target;
}

/**
 * The largest of `values`, or `floor` when there are none or all are smaller (Math.max(floor,
 * ...values) without the stack limit). NaN in `values` gives NaN, as Math.max does.
 */
export function maxOf(values: Iterable<number>, floor = -Infinity): number {
  let max = floor;
  for (const v of values) {
    if (Number.isNaN(v)) return NaN;
    if (v > max) max = v;
  }
  return max;
}

/** The smallest of `values`, or `ceiling` when there are none (Math.min(ceiling, ...values)). */
export function minOf(values: Iterable<number>, ceiling = Infinity): number {
  let min = ceiling;
  for (const v of values) {
    if (Number.isNaN(v)) return NaN;
    if (v < min) min = v;
  }
  return min;
}

/**
 * A list from which the k-th remaining item is taken out in O(log n): what
 * `list.splice(k, 1)[0]` gives, in the same order, without splice's O(n) shift per removal
 * (quadratic over a list of 100,000s). A Fenwick tree of "still here" counts.
 */
export class TakeList<T> {
  private readonly tree: Int32Array;
  private remaining: number;
  private readonly top: number;

  constructor(private readonly items: readonly T[]) {
    const n = items.length;
    this.remaining = n;
    this.tree = new Int32Array(n + 1);
    for (let i = 1; i <= n; i++) {
      this.tree[i]! += 1;
      const parent = i + (i & -i);
      if (parent <= n) this.tree[parent]! += this.tree[i]!;
    }
    this.top = n === 0 ? 0 : 2 ** Math.floor(Math.log2(n));
  }

  get length(): number {
    return this.remaining;
  }

  /** Removes and returns the item at position `k` (0-based) among those remaining. */
  take(k: number): T {
    if (!Number.isInteger(k) || k < 0 || k >= this.remaining) {
      throw new RangeError(`take(${k}) from a list of ${this.remaining}`);
    }
    // Binary lifting: the largest prefix holding at most k remaining items ends just before ours.
    let pos = 0;
    let left = k;
    for (let step = this.top; step > 0; step >>= 1) {
      const next = pos + step;
      if (next < this.tree.length && this.tree[next]! <= left) {
        pos = next;
        left -= this.tree[next]!;
      }
    }
    for (let i = pos + 1; i < this.tree.length; i += i & -i) this.tree[i]! -= 1;
    this.remaining--;
    return this.items[pos]!;
  }
}
