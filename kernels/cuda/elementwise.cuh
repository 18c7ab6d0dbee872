// Memory-bound kernels of kernels.Elementwise: grid-stride loops over flat or 2-D ranges, bias
// broadcasting, column sums and full reductions. Reductions are deterministic: fixed partial
// blocks summed in a fixed order (no atomics), so equal inputs give equal bits.

#pragma once
#include "common.cuh"

template <typename T> __device__ __forceinline__ void fill(T *d, i64 n, T v) {
	FOR_N(i, n) d[i] = v;
}

template <typename T> __device__ __forceinline__ void axpy(T *d, const T *x, i64 n, T a) {
	FOR_N(i, n) d[i] += a * x[i];
}

template <typename T> __device__ __forceinline__ void scale(T *d, i64 n, T a) {
	FOR_N(i, n) d[i] *= a;
}

template <typename T> __device__ __forceinline__ void add(T *d, const T *a, const T *b, i64 n) {
	FOR_N(i, n) d[i] = a[i] + b[i];
}

template <typename T> __device__ __forceinline__ void mul(T *d, const T *a, const T *b, i64 n, int acc) {
	if (acc) {
		FOR_N(i, n) d[i] += a[i] * b[i];
	} else {
		FOR_N(i, n) d[i] = a[i] * b[i];
	}
}

// d[i] (+)= x[i]·m[i mod period]: a [B, D] mask over every step of [L, B, D].
template <typename T>
__device__ __forceinline__ void mul_cyclic(T *d, const T *x, const T *m, i64 n, i64 period, int acc) {
	FOR_N(i, n) {
		T v = x[i] * m[i % period];
		d[i] = acc ? d[i] + v : v;
	}
}

template <typename T> __device__ __forceinline__ void add_bias(T *d, const T *bias, i64 n, i64 cols) {
	FOR_N(i, n) d[i] += bias[i % cols];
}

template <typename T> __device__ __forceinline__ void act_fwd(T *y, const T *x, i64 n, int act) {
	FOR_N(i, n) y[i] = activate_(act, x[i]);
}

template <typename T> __device__ __forceinline__ void act_bwd(T *dx, const T *y, const T *dy, i64 n, int act) {
	FOR_N(i, n) dx[i] += dy[i] * activate_grad_(act, y[i]);
}

// 2-D kernels over a rows×cols block with leading dimensions.
template <typename T>
__device__ __forceinline__ void copy2d(i64 rows, i64 cols, T *d, i64 ldd, const T *s, i64 lds) {
	FOR_N(i, rows * cols) {
		i64 r = i / cols, c = i - r * cols;
		d[r * ldd + c] = s[r * lds + c];
	}
}

template <typename T>
__device__ __forceinline__ void axpy2d(i64 rows, i64 cols, T alpha, T *d, i64 ldd, const T *s, i64 lds) {
	FOR_N(i, rows * cols) {
		i64 r = i / cols, c = i - r * cols;
		d[r * ldd + c] += alpha * s[r * lds + c];
	}
}

// C = beta·C for a GEMM with nothing to multiply; beta = 0 writes zeros without reading C
// (BLAS semantics: NaNs in C do not survive).
template <typename T> __device__ __forceinline__ void scale2d(i64 rows, i64 cols, T beta, T *d, i64 ldd) {
	FOR_N(i, rows * cols) {
		i64 r = i / cols, c = i - r * cols;
		T *p = d + r * ldd + c;
		*p = beta == T(0) ? T(0) : beta * *p;
	}
}

// Column sums of a [rows, cols] matrix (leading dimension lds) in two passes. Block (32, 8)
// covers 32 columns and chunk blockIdx.y of rowsPerChunk rows; its 8 row-lanes are added in a
// fixed order. With one chunk the block adds straight into dst; otherwise it writes
// partial[chunk·cols + c] and colsum_finish adds the chunks in order.
template <typename T>
__device__ __forceinline__ void colsum(i64 rows, i64 cols, const T *src, i64 lds, T *dst, T *partial,
                                       i64 rowsPerChunk) {
	__shared__ T sh[8][33];
	const i64 c = (i64)blockIdx.x * 32 + threadIdx.x;
	const i64 r0 = (i64)blockIdx.y * rowsPerChunk;
	const i64 r1 = min(rows, r0 + rowsPerChunk);
	T s = 0;
	if (c < cols) {
		for (i64 r = r0 + threadIdx.y; r < r1; r += 8) s += src[r * lds + c];
	}
	sh[threadIdx.y][threadIdx.x] = s;
	__syncthreads();
	if (threadIdx.y == 0 && c < cols) {
		T t = sh[0][threadIdx.x];
		for (int k = 1; k < 8; k++) t += sh[k][threadIdx.x];
		if (partial == nullptr) {
			dst[c] += t;
		} else {
			partial[(i64)blockIdx.y * cols + c] = t;
		}
	}
}

template <typename T> __device__ __forceinline__ void colsum_finish(i64 chunks, i64 cols, const T *partial, T *dst) {
	FOR_N(c, cols) {
		T t = 0;
		for (i64 k = 0; k < chunks; k++) t += partial[k * cols + c];
		dst[c] += t;
	}
}

// Σ x or Σ x² in float64: each block writes one partial; reduce_finish (one block) adds them in
// a fixed order and stores the result in out (host-mapped memory).
template <typename T> __device__ __forceinline__ void reduce_partial(const T *x, i64 n, int squares, double *partial) {
	__shared__ double sh[32];
	double s = 0;
	FOR_N(i, n) {
		double v = (double)x[i];
		s += squares ? v * v : v;
	}
	s = block_sum(s, sh);
	if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

__device__ __forceinline__ void reduce_finish_(const double *partial, i64 parts, double *out) {
	__shared__ double sh[32];
	double s = 0;
	for (i64 i = threadIdx.x; i < parts; i += blockDim.x) s += partial[i];
	s = block_sum(s, sh);
	if (threadIdx.x == 0) *out = s;
}

// reduce_acc: like reduce_finish, but adds the sum to acc[0] in device memory (a norm built on
// the device for gradient clipping, never copied to the host).
template <typename T> __device__ __forceinline__ void reduce_acc(const double *partial, i64 parts, T *acc) {
	__shared__ double sh[32];
	double s = 0;
	for (i64 i = threadIdx.x; i < parts; i += blockDim.x) s += partial[i];
	s = block_sum(s, sh);
	if (threadIdx.x == 0) acc[0] += (T)s;
}

// clip_scale: d *= maxNorm/(n + 1e-6) with n = sqrt(ss[0]) when maxNorm < n < +inf (NaN: no).
template <typename T> __device__ __forceinline__ void clip_scale(T *d, i64 n, const T *ss, T maxNorm) {
	double norm = sqrt((double)ss[0]);
	if (!(norm > (double)maxNorm) || norm > 1.7976931348623157e308) return;
	T f = (T)((double)maxNorm / (norm + 1e-6));
	FOR_N(i, n) d[i] *= f;
}

#define ELEMENTWISE_KERNELS(T, S)                                                                   \
	extern "C" __global__ void fill_##S(T *d, i64 n, T v) { fill<T>(d, n, v); }                     \
	extern "C" __global__ void axpy_##S(T *d, const T *x, i64 n, T a) { axpy<T>(d, x, n, a); }      \
	extern "C" __global__ void scale_##S(T *d, i64 n, T a) { scale<T>(d, n, a); }                   \
	extern "C" __global__ void add_##S(T *d, const T *a, const T *b, i64 n) { add<T>(d, a, b, n); } \
	extern "C" __global__ void mul_##S(T *d, const T *a, const T *b, i64 n, int acc) {              \
		mul<T>(d, a, b, n, acc);                                                                    \
	}                                                                                               \
	extern "C" __global__ void mul_cyclic_##S(T *d, const T *x, const T *m, i64 n, i64 period, int acc) { \
		mul_cyclic<T>(d, x, m, n, period, acc);                                                     \
	}                                                                                               \
	extern "C" __global__ void add_bias_##S(T *d, const T *bias, i64 n, i64 cols) {                 \
		add_bias<T>(d, bias, n, cols);                                                              \
	}                                                                                               \
	extern "C" __global__ void act_fwd_##S(T *y, const T *x, i64 n, int act) { act_fwd<T>(y, x, n, act); } \
	extern "C" __global__ void act_bwd_##S(T *dx, const T *y, const T *dy, i64 n, int act) {        \
		act_bwd<T>(dx, y, dy, n, act);                                                              \
	}                                                                                               \
	extern "C" __global__ void copy2d_##S(i64 rows, i64 cols, T *d, i64 ldd, const T *s, i64 lds) { \
		copy2d<T>(rows, cols, d, ldd, s, lds);                                                      \
	}                                                                                               \
	extern "C" __global__ void axpy2d_##S(i64 rows, i64 cols, T alpha, T *d, i64 ldd, const T *s, i64 lds) { \
		axpy2d<T>(rows, cols, alpha, d, ldd, s, lds);                                               \
	}                                                                                               \
	extern "C" __global__ void scale2d_##S(i64 rows, i64 cols, T beta, T *d, i64 ldd) {             \
		scale2d<T>(rows, cols, beta, d, ldd);                                                       \
	}                                                                                               \
	extern "C" __global__ void colsum_##S(i64 rows, i64 cols, const T *src, i64 lds, T *dst, T *partial, \
	                                      i64 rowsPerChunk) {                                       \
		colsum<T>(rows, cols, src, lds, dst, partial, rowsPerChunk);                                \
	}                                                                                               \
	extern "C" __global__ void colsum_finish_##S(i64 chunks, i64 cols, const T *partial, T *dst) {  \
		colsum_finish<T>(chunks, cols, partial, dst);                                               \
	}                                                                                               \
	extern "C" __global__ void reduce_partial_##S(const T *x, i64 n, int squares, double *partial) { \
		reduce_partial<T>(x, n, squares, partial);                                                  \
	}                                                                                               \
	extern "C" __global__ void reduce_acc_##S(const double *partial, i64 parts, T *acc) {           \
		reduce_acc<T>(partial, parts, acc);                                                         \
	}                                                                                               \
	extern "C" __global__ void clip_scale_##S(T *d, i64 n, const T *ss, T maxNorm) {                \
		clip_scale<T>(d, n, ss, maxNorm);                                                           \
	}

extern "C" __global__ void reduce_finish(const double *partial, i64 parts, double *out) {
	reduce_finish_(partial, parts, out);
}
