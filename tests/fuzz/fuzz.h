/*
 * Fuzz targets share this header.  Each tests/fuzz/fuzz-<parser>.c defines
 * FUZZ_ENTRY(name) { ... } over (data, size).  Built alone with clang
 * -fsanitize=fuzzer (scripts/fuzz) the entry becomes LLVMFuzzerTestOneInput;
 * built with -DFUZZ_MULTI (make check) every target is linked into
 * tests/unit/test-fuzz-corpus, which replays the seed corpus of each.
 */
#ifndef BOX_FUZZ_H
#define BOX_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#ifdef FUZZ_MULTI
#define FUZZ_ENTRY(name) \
	int fuzz_##name(const uint8_t *data, size_t size); \
	int fuzz_##name(const uint8_t *data, size_t size)
#else
#define FUZZ_ENTRY(name) \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
#endif

#endif
