// Style Gram targets remembered per engine process: a job with a style the process has already seen
// (a library style, the same attachment re-run) skips the style image's forward pass. Keyed by what
// the Grams depend on — the decoded pixels and their size, the layers and the pooling — so a changed
// image, size or layer choice can never hit a stale entry; hashing 256 px of pixels costs about a
// millisecond against the hundreds a VGG pass costs. Least recently used entries go first once the
// byte budget is full.
import { createHash } from 'node:crypto';
import type { RGBImage } from './types.ts';

/** Default budget: the gatys layers' Grams of one style take 2.4 MB, so about 25 styles. */
export const DEFAULT_GRAM_CACHE_MB = 64;

/** STYLIZE_GRAM_CACHE_MB (0 turns the cache off), else the default. */
export function gramCacheBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.STYLIZE_GRAM_CACHE_MB;
  const mb = raw === undefined || raw.trim() === '' ? DEFAULT_GRAM_CACHE_MB : Number(raw);
  return Number.isFinite(mb) && mb >= 0 ? Math.floor(mb * 1024 * 1024) : DEFAULT_GRAM_CACHE_MB * 1024 * 1024;
}

export interface GramCacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
}

/** Identity of one style image's Grams: its pixels and size, the layers in order, the pooling. */
export function gramKey(image: RGBImage, layers: readonly string[], pooling: string): string {
  const hash = createHash('sha256');
  hash.update(`${image.width}x${image.height}|${pooling}|${layers.join(',')}|`);
  hash.update(new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength));
  return hash.digest('base64url');
}

export class GramCache {
  // A Map iterates in insertion order: re-inserting on a hit keeps the least recently used first.
  private readonly entries = new Map<string, Float32Array[]>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;

  constructor(readonly maxBytes: number = gramCacheBytes()) {}

  /** The Grams (one per layer) of `key`, computed by `compute` on a miss and kept if they fit the budget. */
  async get(key: string, compute: () => Promise<Float32Array[]>): Promise<Float32Array[]> {
    const cached = this.lookup(key);
    if (cached) return cached;
    const grams = await compute();
    this.store(key, grams);
    return grams;
  }

  /** The Grams of `key` if kept (counted as a hit, and now the most recently used), else undefined (a miss). */
  lookup(key: string): Float32Array[] | undefined {
    const cached = this.entries.get(key);
    if (!cached) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, cached);
    return cached;
  }

  /** Keeps the Grams of `key` if they fit the budget, dropping the least recently used to make room. */
  store(key: string, grams: Float32Array[]): void {
    const size = grams.reduce((n, g) => n + g.byteLength, 0);
    if (size > this.maxBytes || this.entries.has(key)) return;
    for (const [oldest, value] of this.entries) {
      if (this.bytes + size <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= value.reduce((n, g) => n + g.byteLength, 0);
    }
    this.entries.set(key, grams);
    this.bytes += size;
  }

  stats(): GramCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.entries.size, bytes: this.bytes };
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
