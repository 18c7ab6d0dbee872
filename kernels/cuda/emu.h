// A host emulation of the CUDA features the kernels use, so that kernels.cu compiles as plain
// C++ and runs on the CPU under the `cudaemu` build tag (emu.cpp). It exists to test the kernels
// and the Go device code on machines without a GPU; it is slow and not a simulator of timing,
// memory ordering or warp divergence beyond what the kernels rely on.
//
// Each block's threads are user-level threads on one OS thread: a kernel that synchronizes
// (__syncthreads, warp shuffles) runs its threads as coroutines switched at each barrier; the
// others run their threads one after another. __shared__ becomes `static`, which is one copy
// per kernel instantiation: right, since blocks run one at a time.

#pragma once
#include <math.h>
#include <stdint.h>
#include <string.h>

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static

struct emu_dim3 {
	unsigned x, y, z;
};

extern emu_dim3 threadIdx, blockIdx, blockDim, gridDim;

// Barriers: scope -1 is the block, w ≥ 0 warp w.
void emu_barrier(int scope);
extern uint64_t emu_shfl_slots[32][32];

inline void __syncthreads() { emu_barrier(-1); }

template <typename T> T __shfl_xor_sync(unsigned, T v, int lane_mask) {
	const unsigned linear = threadIdx.x + threadIdx.y * blockDim.x;
	const unsigned w = linear / 32, lane = linear % 32;
	uint64_t bits = 0;
	memcpy(&bits, &v, sizeof v);
	emu_shfl_slots[w][lane] = bits;
	emu_barrier((int)w);
	T r;
	bits = emu_shfl_slots[w][lane ^ (unsigned)lane_mask];
	memcpy(&r, &bits, sizeof r);
	emu_barrier((int)w);
	return r;
}

// One OS thread runs everything, so plain read-modify-write is atomic here.
template <typename T> T atomicAdd(T *p, T v) {
	T old = *p;
	*p = old + v;
	return old;
}

template <typename T> inline T max(T a, T b) { return a > b ? a : b; }
template <typename T> inline T min(T a, T b) { return a < b ? a : b; }
