// The CPU's single-precision FMA peak: each thread runs twelve independent chains of 512-bit (or,
// built without AVX-512, 256-bit) fused multiply-adds, enough to keep both FMA ports busy through
// their 4-cycle latency. Each chain starts from its own value so the compiler cannot merge them.
// Built and run by scripts/peak/fma-peak.ts; prints GFLOP/s for the given thread count.
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef __AVX512F__
typedef __m512 vec;
#define LANES 16
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define ADD _mm512_add_ps
#define FIRST(v) _mm512_cvtss_f32(v)
#else
typedef __m256 vec;
#define LANES 8
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define ADD _mm256_add_ps
#define FIRST(v) _mm256_cvtss_f32(v)
#endif

#define CHAINS 12
static long iterations;
static volatile float start = 1.0f;

static void *run(void *out) {
  vec a[CHAINS];
  for (int c = 0; c < CHAINS; c++) a[c] = SET1(start + c);
  const vec b = SET1(0.999999f), d = SET1(1e-7f);
  for (long i = 0; i < iterations; i++) {
    a[0] = FMA(a[0], b, d); a[1] = FMA(a[1], b, d); a[2] = FMA(a[2], b, d); a[3] = FMA(a[3], b, d);
    a[4] = FMA(a[4], b, d); a[5] = FMA(a[5], b, d); a[6] = FMA(a[6], b, d); a[7] = FMA(a[7], b, d);
    a[8] = FMA(a[8], b, d); a[9] = FMA(a[9], b, d); a[10] = FMA(a[10], b, d); a[11] = FMA(a[11], b, d);
  }
  vec s = a[0];
  for (int c = 1; c < CHAINS; c++) s = ADD(s, a[c]);
  *(float *)out = FIRST(s);
  return NULL;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  double seconds = argc > 2 ? atof(argv[2]) : 1.0;
  if (threads < 1 || threads > 256) return 2;
  // About `seconds` at 3 GHz with two FMAs per cycle.
  iterations = (long)(seconds * 3e9 * 2 / CHAINS);
  pthread_t t[256];
  float sums[256];
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, run, &sums[i]);
  float total = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(t[i], NULL);
    total += sums[i];
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double wall = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
  double flops = (double)threads * iterations * CHAINS * LANES * 2;
  printf("{\"threads\":%d,\"lanes\":%d,\"gflops\":%.1f,\"seconds\":%.2f,\"check\":%g}\n", threads, LANES, flops / wall / 1e9, wall, total);
  return 0;
}
