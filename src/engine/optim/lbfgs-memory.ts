// The L-BFGS memory: the last `capacity` curvature pairs (s, y) in a ring of Float32Array slots,
// and the two-loop recursion that applies the implied inverse Hessian. Slots are allocated the
// first time they are filled and reused after, so a long run allocates nothing per iteration.
// Pairs are stored in single precision (two slots of 100 × 786k doubles would be 1.2 GB);
// every dot product is accumulated in double.

export class LbfgsMemory {
  private readonly s: Float32Array[] = [];
  private readonly y: Float32Array[] = [];
  private readonly rho: Float64Array;
  private readonly alpha: Float64Array;
  private spareS: Float32Array | undefined;
  private spareY: Float32Array | undefined;
  private start = 0;
  private count = 0;
  /** Scale of the initial inverse Hessian: sᵀy/yᵀy of the newest pair, 1 before the first. */
  private gamma = 1;

  constructor(
    readonly n: number,
    readonly capacity: number,
  ) {
    this.rho = new Float64Array(capacity);
    this.alpha = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Forgets every pair (buffers are kept for reuse). */
  clear(): void {
    this.start = 0;
    this.count = 0;
    this.gamma = 1;
  }

  /** The buffers of the next pair: fill s and y, then commit(). */
  nextPair(): { s: Float32Array; y: Float32Array } {
    this.spareS ??= new Float32Array(this.n);
    this.spareY ??= new Float32Array(this.n);
    return { s: this.spareS, y: this.spareY };
  }

  /**
   * Adds the pair filled in nextPair()'s buffers, dropping the oldest when full. A pair whose
   * curvature sᵀy is not clearly positive is refused (it would make the update indefinite).
   */
  commit(): boolean {
    const { s, y } = this.nextPair();
    let ss = 0;
    let ys = 0;
    let yy = 0;
    for (let i = 0; i < this.n; i++) {
      const si = s[i];
      const yi = y[i];
      ss += si * si;
      ys += si * yi;
      yy += yi * yi;
    }
    // Relative threshold (cosine of the angle between s and y): the objective's scale is arbitrary.
    if (!(ys > 1e-8 * Math.sqrt(ss * yy))) return false;

    let slot: number;
    if (this.count < this.capacity) {
      slot = (this.start + this.count) % this.capacity;
      this.count++;
    } else {
      slot = this.start;
      this.start = (this.start + 1) % this.capacity;
    }
    this.spareS = this.s[slot];
    this.spareY = this.y[slot];
    this.s[slot] = s;
    this.y[slot] = y;
    this.rho[slot] = 1 / ys;
    this.gamma = ys / yy;
    return true;
  }

  /** Adds s = xNew − xOld, y = gNew − gOld (see commit()). */
  update(xNew: Float32Array, xOld: Float32Array, gNew: Float32Array, gOld: Float32Array): boolean {
    const { s, y } = this.nextPair();
    for (let i = 0; i < this.n; i++) {
      s[i] = xNew[i] - xOld[i];
      y[i] = gNew[i] - gOld[i];
    }
    return this.commit();
  }

  /**
   * Two-loop recursion in place: on entry q = −g, on exit q = −H·g. Each dot product is fused
   * into the pass of the preceding axpy, so a call makes 2·size + 1 passes over the vectors
   * instead of 4·size. With `free` (1 = free, 0 = held), the recursion runs in the subspace of
   * the free coordinates: held entries of q stay 0 (q must be 0 there on entry).
   */
  applyInverseHessian(q: Float64Array, free?: Uint8Array): void {
    const n = this.n;
    const m = this.count;
    const gamma = this.gamma;
    if (m === 0) {
      if (gamma !== 1) for (let j = 0; j < n; j++) q[j] *= gamma;
      return;
    }
    const { s, y, rho, alpha } = this;
    const slot = (k: number) => (this.start + k) % this.capacity;

    // First loop, newest to oldest: alpha_i = rho_i sᵢᵀq; q −= alpha_i yᵢ.
    let dot = dotProduct(s[slot(m - 1)], q, n);
    for (let k = m - 1; k >= 0; k--) {
      const i = slot(k);
      const a = rho[i] * dot;
      alpha[i] = a;
      // The oldest pair ends the first loop and starts the second: scale by gamma there.
      const scale = k > 0 ? 1 : gamma;
      const next = k > 0 ? s[slot(k - 1)] : y[i];
      dot = free ? scaledAxpyDotFree(q, -a, y[i], scale, next, free, n) : scaledAxpyDot(q, -a, y[i], scale, next, n);
    }

    // Second loop, oldest to newest: beta = rho_i yᵢᵀr; r += (alpha_i − beta) sᵢ.
    for (let k = 0; k < m; k++) {
      const i = slot(k);
      const c = alpha[i] - rho[i] * dot;
      const next = k < m - 1 ? y[slot(k + 1)] : undefined;
      dot = free ? axpyFreeDot(q, c, s[i], next, free, n) : scaledAxpyDot(q, c, s[i], 1, next, n);
    }
  }
}

// The two loops' passes. Four partial sums, not one: a single running sum is a chain of dependent
// float64 additions, and that chain, not memory, set the pace: a full-memory recursion (100 pairs)
// went from 73 to 35 ms at 192×144 px and from 280 to 235 ms at 512×384 (npx tsx
// scripts/optim/bench-two-loop.ts N 100), time in which the engine waits for the next evaluation.
// Keeping q in float32 (torch's precision) did not make it faster, and neither did one function for
// both cases with an all-ones mask (slower: 35 → 47 ms at 192×144): hence a masked twin of each pass.

function dotProduct(a: Float32Array, q: Float64Array, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 3 < n; j += 4) {
    s0 += a[j] * q[j];
    s1 += a[j + 1] * q[j + 1];
    s2 += a[j + 2] * q[j + 2];
    s3 += a[j + 3] * q[j + 3];
  }
  for (; j < n; j++) s0 += a[j] * q[j];
  return s0 + s1 + s2 + s3;
}

/** q = (q + c·v)·scale; returns nextᵀq (0 without `next`). */
function scaledAxpyDot(q: Float64Array, c: number, v: Float32Array, scale: number, next: Float32Array | undefined, n: number): number {
  if (!next) {
    for (let j = 0; j < n; j++) q[j] = (q[j] + c * v[j]) * scale;
    return 0;
  }
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 3 < n; j += 4) {
    const q0 = (q[j] + c * v[j]) * scale;
    const q1 = (q[j + 1] + c * v[j + 1]) * scale;
    const q2 = (q[j + 2] + c * v[j + 2]) * scale;
    const q3 = (q[j + 3] + c * v[j + 3]) * scale;
    q[j] = q0;
    q[j + 1] = q1;
    q[j + 2] = q2;
    q[j + 3] = q3;
    s0 += next[j] * q0;
    s1 += next[j + 1] * q1;
    s2 += next[j + 2] * q2;
    s3 += next[j + 3] * q3;
  }
  for (; j < n; j++) {
    const qj = (q[j] + c * v[j]) * scale;
    q[j] = qj;
    s0 += next[j] * qj;
  }
  return s0 + s1 + s2 + s3;
}

/** scaledAxpyDot, then held coordinates (free = 0) set to 0. */
function scaledAxpyDotFree(
  q: Float64Array,
  c: number,
  v: Float32Array,
  scale: number,
  next: Float32Array | undefined,
  free: Uint8Array,
  n: number,
): number {
  if (!next) {
    for (let j = 0; j < n; j++) q[j] = (q[j] + c * v[j]) * scale * free[j];
    return 0;
  }
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 3 < n; j += 4) {
    const q0 = (q[j] + c * v[j]) * scale * free[j];
    const q1 = (q[j + 1] + c * v[j + 1]) * scale * free[j + 1];
    const q2 = (q[j + 2] + c * v[j + 2]) * scale * free[j + 2];
    const q3 = (q[j + 3] + c * v[j + 3]) * scale * free[j + 3];
    q[j] = q0;
    q[j + 1] = q1;
    q[j + 2] = q2;
    q[j + 3] = q3;
    s0 += next[j] * q0;
    s1 += next[j + 1] * q1;
    s2 += next[j + 2] * q2;
    s3 += next[j + 3] * q3;
  }
  for (; j < n; j++) {
    const qj = (q[j] + c * v[j]) * scale * free[j];
    q[j] = qj;
    s0 += next[j] * qj;
  }
  return s0 + s1 + s2 + s3;
}

/** q += c·v on the free coordinates; returns nextᵀq (0 without `next`). Held entries stay +0. */
function axpyFreeDot(q: Float64Array, c: number, v: Float32Array, next: Float32Array | undefined, free: Uint8Array, n: number): number {
  if (!next) {
    for (let j = 0; j < n; j++) q[j] += c * v[j] * free[j];
    return 0;
  }
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 3 < n; j += 4) {
    const q0 = q[j] + c * v[j] * free[j];
    const q1 = q[j + 1] + c * v[j + 1] * free[j + 1];
    const q2 = q[j + 2] + c * v[j + 2] * free[j + 2];
    const q3 = q[j + 3] + c * v[j + 3] * free[j + 3];
    q[j] = q0;
    q[j + 1] = q1;
    q[j + 2] = q2;
    q[j + 3] = q3;
    s0 += next[j] * q0;
    s1 += next[j + 1] * q1;
    s2 += next[j + 2] * q2;
    s3 += next[j + 3] * q3;
  }
  for (; j < n; j++) {
    const qj = q[j] + c * v[j] * free[j];
    q[j] = qj;
    s0 += next[j] * qj;
  }
  return s0 + s1 + s2 + s3;
}
