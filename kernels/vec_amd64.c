//go:build cgo && amd64

// The vector kernels of vec_body.h, compiled for AVX2 + FMA and for AVX-512; vec_cgo_amd64.go
// picks one at run time from the processor's features.

#include <stdint.h>

typedef struct {
	float max, sum;
} gosru_max_sum;

#pragma GCC optimize("O3", "no-math-errno", "no-trapping-math")

#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define VEC(name) name##_avx2
#include "vec_body.h"
#undef VEC
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,prefer-vector-width=512")
#define VEC(name) name##_avx512
#include "vec_body.h"
#undef VEC
#pragma GCC pop_options
