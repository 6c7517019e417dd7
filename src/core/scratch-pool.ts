/**
 * Reusable scratch typed arrays for the temporaries of a window's hot functions (summed-area
 * tables, 3×3 means, the classifier's planar input, GeoTIFF tiles), one pool per process.
 *
 * Why: a 512² window (704² with its halo) allocated about 300 MB of typed arrays, most of them
 * temporaries that die within one function. V8 counts ArrayBuffer memory allocated since the
 * last mark-compact towards the old generation's limit, so that churn alone started about eight
 * full collections a window, each marking the whole heap (the run's vector layers, the model) on
 * V8's helper threads. A lone process gets that marking almost free on the machine's second core;
 * two worker processes (`patrol worker --concurrency 2`) compete for it. Borrowing the
 * temporaries from a pool allocates them once per worker instead of once per window.
 *
 * Rules for callers: an array taken from a {@link ScratchScope} is zero-filled (as `new T(n)`),
 * must not escape the scope (never return it, keep it, or hand it to anything that outlives the
 * scope, such as a tensor still in use), and is invalid after {@link ScratchScope.release}.
 * Results stay ordinary arrays; only temporaries are pooled.
 *
 * Keep the loops that use scratch arrays in named functions, with the scope in try/finally,
 * rather than inside a closure passed to {@link withScratch}: V8 compiled such a closure's loops
 * afresh on every call (a new closure each window), on its helper threads.
 */

/** Typed-array constructors the pool serves. */
export type ScratchConstructor =
  | Float64ArrayConstructor
  | Float32ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor;

export type ScratchArray = InstanceType<ScratchConstructor>;

/** Free arrays kept per process at most (bytes); a window of 704² needs about 60 MB. */
export const DEFAULT_SCRATCH_POOL_BYTES = 128 * 1024 * 1024;

/**
 * Free scratch arrays keyed by type and length. Arrays of other lengths (a window clipped at a
 * mosaic's edge) get their own key; the oldest free arrays are dropped once the pool holds more
 * than its byte budget.
 */
export class ScratchPool {
  private readonly free = new Map<string, ScratchArray[]>();
  /** Free arrays in the order they were given back, oldest first (for dropping). */
  private readonly order: ScratchArray[] = [];
  private freeBytes = 0;
  private readonly lent = new WeakSet<ScratchArray>();

  constructor(readonly maxFreeBytes: number = DEFAULT_SCRATCH_POOL_BYTES) {}

  /** Bytes held by free arrays (for tests and diagnostics). */
  get heldBytes(): number {
    return this.freeBytes;
  }

  /** Drops every free array (lent ones are unaffected and may still be given back). */
  clear(): void {
    this.free.clear();
    this.order.length = 0;
    this.freeBytes = 0;
  }

  /** A zero-filled array of `length` elements: a free one from the pool, else a new one. */
  borrow<C extends ScratchConstructor>(type: C, length: number): InstanceType<C> {
    const array = this.free.get(keyOf(type, length))?.pop() as InstanceType<C> | undefined;
    if (array) {
      this.freeBytes -= array.byteLength;
      this.order.splice(this.order.indexOf(array), 1);
      array.fill(0);
      this.lent.add(array);
      return array;
    }
    const fresh = new type(length) as InstanceType<C>;
    this.lent.add(fresh);
    return fresh;
  }

  /** Gives back an array from {@link borrow}; it must not be used afterwards. */
  giveBack(array: ScratchArray): void {
    if (!this.lent.has(array)) throw new RangeError("ScratchPool.giveBack: array not lent by this pool");
    this.lent.delete(array);
    const key = keyOf(array.constructor as ScratchConstructor, array.length);
    const list = this.free.get(key) ?? [];
    list.push(array);
    this.free.set(key, list);
    this.order.push(array);
    this.freeBytes += array.byteLength;
    while (this.freeBytes > this.maxFreeBytes) {
      const oldest = this.order.shift()!;
      const same = this.free.get(keyOf(oldest.constructor as ScratchConstructor, oldest.length))!;
      same.splice(same.indexOf(oldest), 1);
      this.freeBytes -= oldest.byteLength;
    }
  }
}

function keyOf(type: ScratchConstructor, length: number): string {
  return `${type.name}:${length}`;
}

/** The process's pool (each worker process has its own). */
export const scratchPool = new ScratchPool();

/**
 * Arrays borrowed for one piece of work, given back together by {@link release}. Use with
 * try/finally, or {@link withScratch} for synchronous work.
 */
export class ScratchScope {
  private readonly taken: ScratchArray[] = [];

  constructor(private readonly pool: ScratchPool = scratchPool) {}

  /** A zero-filled `length`-element array, valid until {@link release}. */
  take<C extends ScratchConstructor>(type: C, length: number): InstanceType<C> {
    const array = this.pool.borrow(type, length);
    this.taken.push(array);
    return array;
  }

  /** Gives every array taken back to the pool. */
  release(): void {
    for (const array of this.taken.splice(0)) this.pool.giveBack(array);
  }
}

/** Runs synchronous `work` with a scope whose arrays are given back when it returns or throws. */
export function withScratch<R>(work: (scratch: ScratchScope) => R, pool: ScratchPool = scratchPool): R {
  const scope = new ScratchScope(pool);
  try {
    return work(scope);
  } finally {
    scope.release();
  }
}
