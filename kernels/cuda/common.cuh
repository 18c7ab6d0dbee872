// Shared helpers of the gosru CUDA kernels: index types, math per precision, reductions and the
// error flags that kernels raise on bad indices.
//
// Every kernel exists twice, NAME_f32 and NAME_f64, generated from one template by the macros
// below, with unmangled (extern "C") names that the Go side looks up.
//
// Argument convention (launch.go): every argument occupies one 8-byte slot on the Go side, and
// the driver copies as many bytes as the parameter's C type has. So sizes are `i64`, flags
// `int`, scalars `T` and buffers `T *`: all read correctly from a little-endian 8-byte slot.

#pragma once

typedef long long i64;

// Error flags, one word each in host-mapped memory (see Device.Sync): a kernel that meets a bad
// index stores 1 in its word, skips the element and carries on.
enum {
	ERR_GATHER_ID = 0,  // Gather: id ≥ table rows
	ERR_SCATTER_ID = 1, // ScatterAdd: id ≥ table rows
	ERR_TARGET = 2,     // cross entropy: target outside [0, cols) and not ignoreIndex
	ERR_CTC = 3,        // CTC: a length or label out of range
	ERR_WORDS = 8
};

__device__ __forceinline__ void raise_flag(int *flags, int which) {
	// A plain store: several threads may race to write the same 1.
	((volatile int *)flags)[which] = 1;
}

// Grid-stride loop over [0, n).
#define FOR_N(i, n) \
	for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)blockDim.x * gridDim.x)

// Precise math (no --use_fast_math): results must agree with the CPU device to ~1e-6.
__device__ __forceinline__ float exp_(float x) { return expf(x); }
__device__ __forceinline__ double exp_(double x) { return exp(x); }
__device__ __forceinline__ float log_(float x) { return logf(x); }
__device__ __forceinline__ double log_(double x) { return log(x); }
__device__ __forceinline__ float tanh_(float x) { return tanhf(x); }
__device__ __forceinline__ double tanh_(double x) { return tanh(x); }
__device__ __forceinline__ float sqrt_(float x) { return sqrtf(x); }
__device__ __forceinline__ double sqrt_(double x) { return sqrt(x); }
template <typename T> __device__ __forceinline__ T sigmoid_(T x) { return T(1) / (T(1) + exp_(-x)); }

// Activations, numbered as kernels.Act: 0 identity, 1 sigmoid, 2 tanh, 3 ReLU, 4 exp, 5 log.
template <typename T> __device__ __forceinline__ T activate_(int act, T x) {
	switch (act) {
	case 1: return sigmoid_(x);
	case 2: return tanh_(x);
	case 3: return x > T(0) ? x : T(0);
	case 4: return exp_(x);
	case 5: return log_(x);
	default: return x;
	}
}

// act'(x) expressed through y = act(x).
template <typename T> __device__ __forceinline__ T activate_grad_(int act, T y) {
	switch (act) {
	case 1: return y * (T(1) - y);
	case 2: return T(1) - y * y;
	case 3: return y > T(0) ? T(1) : T(0);
	case 4: return y;
	case 5: return exp_(-y);
	default: return T(1);
	}
}

template <typename T> __device__ __forceinline__ T warp_sum(T v) {
	for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
	return v;
}

template <typename T> __device__ __forceinline__ T warp_max(T v) {
	for (int o = 16; o > 0; o >>= 1) v = max(v, __shfl_xor_sync(0xffffffffu, v, o));
	return v;
}

// block_sum returns the sum over the block to every thread. blockDim.x is a multiple of 32 and at
// most 1024; sh holds 32 elements. The first barrier keeps a previous call's readers of sh[0]
// from seeing this call's partials.
template <typename T> __device__ T block_sum(T v, T *sh) {
	const int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
	v = warp_sum(v);
	__syncthreads();
	if (lane == 0) sh[w] = v;
	__syncthreads();
	if (w == 0) {
		v = lane < nw ? sh[lane] : T(0);
		v = warp_sum(v);
		if (lane == 0) sh[0] = v;
	}
	__syncthreads();
	return sh[0];
}

template <typename T> __device__ T block_max(T v, T *sh) {
	const int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
	v = warp_max(v);
	__syncthreads();
	if (lane == 0) sh[w] = v;
	__syncthreads();
	if (w == 0) {
		v = lane < nw ? sh[lane] : sh[0];
		v = warp_max(v);
		if (lane == 0) sh[0] = v;
	}
	__syncthreads();
	return sh[0];
}

// Each .cuh defines its kernels as __device__ templates and a macro NAME_KERNELS(T, S) that
// wraps them in extern "C" __global__ functions suffixed S; kernels.cu expands every macro for
// (float, f32) and (double, f64).
