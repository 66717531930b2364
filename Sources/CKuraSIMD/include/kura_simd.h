#ifndef KURA_SIMD_H
#define KURA_SIMD_H

#include <stddef.h>
#include <stdint.h>

/// Byte-class bitmaps for tokenizers.
///
/// For each 64-byte block of `p[0..<n]`, writes one 64-bit mask per target byte into `out`: block `k`'s masks are
/// `out[4k]` (bytes equal to `a`), `out[4k+1]` (`b`), `out[4k+2]` (`c`) and `out[4k+3]` (`d`); bit `i` stands for
/// byte `64k + i`. Bits past `n` are zero. `out` must hold `4 * ((n + 63) / 64)` values. Uses AVX2 when the CPU
/// has it, SSE2 otherwise (x86-64), and portable code elsewhere.
void kura_classify4(const uint8_t *p, size_t n, uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint64_t *out);

/// Copies `src[0..<n]` to `dst`, collapsing each doubled `quote` into one (the text of a quoted CSV field);
/// returns the bytes written, or -1 when a quote is not doubled. `dst` must have room for `n + 64` bytes.
/// Uses AVX-512 VBMI2 byte compression when the CPU has it.
long kura_collapse_doubled(const uint8_t *src, size_t n, uint8_t quote, uint8_t *dst);

#endif
