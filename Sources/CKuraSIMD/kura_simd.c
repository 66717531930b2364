#include "kura_simd.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2"))) static void classify_avx2(const uint8_t *p, size_t blocks, uint8_t a, uint8_t b,
                                                           uint8_t c, uint8_t d, uint64_t *out) {
    const __m256i va = _mm256_set1_epi8((char)a), vb = _mm256_set1_epi8((char)b);
    const __m256i vc = _mm256_set1_epi8((char)c), vd = _mm256_set1_epi8((char)d);
    for (size_t k = 0; k < blocks; k++, p += 64, out += 4) {
        __m256i lo = _mm256_loadu_si256((const __m256i *)p);
        __m256i hi = _mm256_loadu_si256((const __m256i *)(p + 32));
#define KURA_MASK(v)                                                                                                   \
    ((uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, v)) |                                              \
     ((uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, v)) << 32))
        out[0] = KURA_MASK(va);
        out[1] = KURA_MASK(vb);
        out[2] = KURA_MASK(vc);
        out[3] = KURA_MASK(vd);
#undef KURA_MASK
    }
}

static void classify_sse2(const uint8_t *p, size_t blocks, uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint64_t *out) {
    const __m128i va = _mm_set1_epi8((char)a), vb = _mm_set1_epi8((char)b);
    const __m128i vc = _mm_set1_epi8((char)c), vd = _mm_set1_epi8((char)d);
    for (size_t k = 0; k < blocks; k++, p += 64, out += 4) {
        __m128i v0 = _mm_loadu_si128((const __m128i *)p), v1 = _mm_loadu_si128((const __m128i *)(p + 16));
        __m128i v2 = _mm_loadu_si128((const __m128i *)(p + 32)), v3 = _mm_loadu_si128((const __m128i *)(p + 48));
#define KURA_MASK(v)                                                                                                   \
    ((uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v0, v)) |                                                    \
     ((uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v1, v)) << 16) |                                            \
     ((uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v2, v)) << 32) |                                            \
     ((uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v3, v)) << 48))
        out[0] = KURA_MASK(va);
        out[1] = KURA_MASK(vb);
        out[2] = KURA_MASK(vc);
        out[3] = KURA_MASK(vd);
#undef KURA_MASK
    }
}

enum { CPU_AVX2 = 1, CPU_AVX512_VBMI2 = 2, CPU_PROBED = 4 };

/// The CPU features the fast paths use, probed once (the cache is read and written atomically: several parser
/// threads may race to fill it, with the same value).
static int cpu_features(void) {
    static int cached = 0;
    int f = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (!f) {
        __builtin_cpu_init();
        f = CPU_PROBED;
        if (__builtin_cpu_supports("avx2")) f |= CPU_AVX2;
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512vbmi2"))
            f |= CPU_AVX512_VBMI2;
        __atomic_store_n(&cached, f, __ATOMIC_RELAXED);
    }
    return f;
}

static void classify_blocks(const uint8_t *p, size_t blocks, uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint64_t *out) {
    if (cpu_features() & CPU_AVX2)
        classify_avx2(p, blocks, a, b, c, d, out);
    else
        classify_sse2(p, blocks, a, b, c, d, out);
}

/// The second quote of each pair in `q` (bit per byte), where every run of quotes must split into pairs; `carry`
/// says the first byte completes a pair opened in the previous block and is updated for the next one. Returns
/// false when a run has an odd length (`valid` marks the bytes that exist).
static inline int pair_seconds(uint64_t q, uint64_t valid, uint64_t *carry, uint64_t *seconds) {
    uint64_t x = q, sec = 0;
    if (*carry) {
        if (!(x & 1)) return 0;
        sec = 1;
        x &= ~(uint64_t)1;
    }
    *carry = 0;
    while (x) {
        uint64_t first = x & ~(x << 1);
        uint64_t partner = first << 1;
        if (first >> 63) {
            // The pair ends in the next block.
            *carry = 1;
            if (!(valid >> 63)) return 0;
        }
        if ((partner & x) != partner) return 0;
        sec |= partner;
        x &= ~(first | partner);
    }
    *seconds = sec;
    return 1;
}

__attribute__((target("avx512f,avx512bw,avx512vbmi2"))) static long collapse_avx512(const uint8_t *src, size_t n,
                                                                                  uint8_t quote, uint8_t *dst) {
    const __m512i vq = _mm512_set1_epi8((char)quote);
    uint64_t carry = 0;
    uint8_t *o = dst;
    for (size_t at = 0; at < n; at += 64) {
        size_t left = n - at;
        uint64_t valid = left >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << left) - 1);
        __m512i v = _mm512_maskz_loadu_epi8(valid, src + at);
        uint64_t q = _mm512_cmpeq_epi8_mask(v, vq) & valid;
        uint64_t seconds = 0;
        if (q && !pair_seconds(q, valid, &carry, &seconds)) return -1;
        if (!q && carry) return -1;
        uint64_t keep = valid & ~seconds;
        _mm512_storeu_si512((void *)o, _mm512_maskz_compress_epi8(keep, v));
        o += __builtin_popcountll(keep);
    }
    return carry ? -1 : (long)(o - dst);
}

#else

static void classify_blocks(const uint8_t *p, size_t blocks, uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint64_t *out) {
    for (size_t k = 0; k < blocks; k++, p += 64, out += 4) {
        uint64_t ma = 0, mb = 0, mc = 0, md = 0;
        for (int i = 0; i < 64; i++) {
            uint64_t bit = (uint64_t)1 << i;
            uint8_t x = p[i];
            ma |= x == a ? bit : 0;
            mb |= x == b ? bit : 0;
            mc |= x == c ? bit : 0;
            md |= x == d ? bit : 0;
        }
        out[0] = ma;
        out[1] = mb;
        out[2] = mc;
        out[3] = md;
    }
}

#endif

void kura_classify4(const uint8_t *p, size_t n, uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint64_t *out) {
    size_t full = n / 64, rest = n % 64;
    classify_blocks(p, full, a, b, c, d, out);
    if (rest) {
        uint8_t tail[64];
        memset(tail, 0, sizeof tail);
        memcpy(tail, p + full * 64, rest);
        uint64_t *o = out + 4 * full;
        classify_blocks(tail, 1, a, b, c, d, o);
        uint64_t keep = ((uint64_t)1 << rest) - 1;
        o[0] &= keep;
        o[1] &= keep;
        o[2] &= keep;
        o[3] &= keep;
    }
}

static long collapse_scalar(const uint8_t *src, size_t n, uint8_t quote, uint8_t *dst) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = src[i];
        dst[o++] = b;
        if (b == quote) {
            if (i + 1 >= n || src[i + 1] != quote) return -1;
            i++;
        }
    }
    return (long)o;
}

long kura_collapse_doubled(const uint8_t *src, size_t n, uint8_t quote, uint8_t *dst) {
#if defined(__x86_64__)
    if (cpu_features() & CPU_AVX512_VBMI2) return collapse_avx512(src, n, quote, dst);
#endif
    return collapse_scalar(src, n, quote, dst);
}
