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
    let dot = 0;
    {
      const sNewest = s[slot(m - 1)];
      for (let j = 0; j < n; j++) dot += sNewest[j] * q[j];
    }
    for (let k = m - 1; k >= 0; k--) {
      const i = slot(k);
      const a = rho[i] * dot;
      alpha[i] = a;
      const yi = y[i];
      // The oldest pair ends the first loop and starts the second: scale by gamma there.
      const scale = k > 0 ? 1 : gamma;
      const next = k > 0 ? s[slot(k - 1)] : yi;
      let acc = 0;
      if (free) {
        for (let j = 0; j < n; j++) {
          const qj = (q[j] - a * yi[j]) * scale * free[j];
          q[j] = qj;
          acc += next[j] * qj;
        }
      } else {
        for (let j = 0; j < n; j++) {
          const qj = (q[j] - a * yi[j]) * scale;
          q[j] = qj;
          acc += next[j] * qj;
        }
      }
      dot = acc;
    }

    // Second loop, oldest to newest: beta = rho_i yᵢᵀr; r += (alpha_i − beta) sᵢ.
    for (let k = 0; k < m; k++) {
      const i = slot(k);
      const c = alpha[i] - rho[i] * dot;
      const si = s[i];
      if (k < m - 1) {
        const yNext = y[slot(k + 1)];
        let acc = 0;
        if (free) {
          for (let j = 0; j < n; j++) {
            const qj = q[j] + c * si[j] * free[j];
            q[j] = qj;
            acc += yNext[j] * qj;
          }
        } else {
          for (let j = 0; j < n; j++) {
            const qj = q[j] + c * si[j];
            q[j] = qj;
            acc += yNext[j] * qj;
          }
        }
        dot = acc;
      } else if (free) {
        for (let j = 0; j < n; j++) q[j] += c * si[j] * free[j];
      } else {
        for (let j = 0; j < n; j++) q[j] += c * si[j];
      }
    }
  }
}
