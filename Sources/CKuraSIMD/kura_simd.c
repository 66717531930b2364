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

static void classify_blocks(const uint8_t *p, size_t blocks, uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint64_t *out) {
    static int has_avx2 = -1;
    if (has_avx2 < 0) {
        __builtin_cpu_init();
        has_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    if (has_avx2)
        classify_avx2(p, blocks, a, b, c, d, out);
    else
        classify_sse2(p, blocks, a, b, c, d, out);
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
