// Kernels of kernels.SeqKernels: the masked softmax of attention weights (one block per row, like
// log_softmax) and the fused Bahdanau scores. The scores give one block to each (b, i) query
// row and one warp to each memory position j, whose lanes split the H units and add with a warp
// sum; the backward gives one block to each query row (dq, and the per-row partials of dv) or
// memory row (dk), with one thread per unit looping over the other sequence, and adds the dv
// partials in a fixed order, so every result is reproducible.

#pragma once
#include "common.cuh"

// Unmasked columns of row r: c < n and pad[b·cols + c] == 0.
__device__ __forceinline__ i64 masked_len(const int *lengths, i64 b, i64 cols) {
	if (!lengths) return cols;
	i64 n = lengths[b];
	return n < 0 ? 0 : (n > cols ? cols : n);
}

template <typename T>
__device__ __forceinline__ void masked_softmax(i64 cols, i64 B, i64 group, T *y, const T *x, const int *lengths,
                                               const T *pad) {
	__shared__ T sh[32];
	const i64 r = blockIdx.x;
	const i64 b = (r / group) % B;
	const i64 n = masked_len(lengths, b, cols);
	const T *xr = x + r * cols;
	const T *pr = pad ? pad + b * cols : nullptr;
	T *yr = y + r * cols;
	const T ninf = -INFINITY;
	T m = ninf;
	for (i64 c = threadIdx.x; c < n; c += blockDim.x) {
		if (!pr || pr[c] == T(0)) m = max(m, xr[c]);
	}
	m = block_max(m, sh);
	if (m == ninf) { // every column masked (or −∞): zeros, not NaN
		for (i64 c = threadIdx.x; c < cols; c += blockDim.x) yr[c] = 0;
		return;
	}
	T s = 0;
	for (i64 c = threadIdx.x; c < n; c += blockDim.x) {
		if (!pr || pr[c] == T(0)) s += exp_(xr[c] - m);
	}
	const T inv = T(1) / block_sum(s, sh);
	for (i64 c = threadIdx.x; c < cols; c += blockDim.x) {
		yr[c] = (c < n && (!pr || pr[c] == T(0))) ? exp_(xr[c] - m) * inv : T(0);
	}
}

// dx += y ⊙ (dy − Σ y·dy) on row blockIdx.x.
template <typename T> __device__ __forceinline__ void softmax_bwd(i64 cols, T *dx, const T *y, const T *dy) {
	__shared__ T sh[32];
	const i64 r = blockIdx.x;
	const T *yr = y + r * cols, *dyr = dy + r * cols;
	T *dxr = dx + r * cols;
	T s = 0;
	for (i64 c = threadIdx.x; c < cols; c += blockDim.x) s += yr[c] * dyr[c];
	const T dot = block_sum(s, sh);
	for (i64 c = threadIdx.x; c < cols; c += blockDim.x) dxr[c] += yr[c] * (dyr[c] - dot);
}

// s[b, i, j] = Σ_h v[h]·tanh(q[i, b, h] + k[j, b, h]); block r = b·Lq + i, warp per j.
template <typename T>
__device__ __forceinline__ void additive_scores(i64 Lq, i64 Ls, i64 B, i64 H, T *s, const T *q, const T *k,
                                                const T *v) {
	const i64 r = blockIdx.x, b = r / Lq, i = r % Lq;
	const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
	const T *qr = q + (i * B + b) * H;
	for (i64 j = warp; j < Ls; j += warps) {
		const T *kr = k + (j * B + b) * H;
		T acc = 0;
		for (i64 h = lane; h < H; h += 32) acc += v[h] * tanh_(qr[h] + kr[h]);
		acc = warp_sum(acc);
		if (lane == 0) s[r * Ls + j] = acc;
	}
}

// Block r = b·Lq + i: dq[i, b, h] += Σ_j g·v·(1−t²), and partial[r·H + h] = Σ_j g·t (dv's share
// of this row; partial may be null). Either output may be null.
template <typename T>
__device__ __forceinline__ void additive_bwd_q(i64 Lq, i64 Ls, i64 B, i64 H, T *dq, T *partial, const T *ds,
                                               const T *q, const T *k, const T *v) {
	const i64 r = blockIdx.x, b = r / Lq, i = r % Lq;
	const T *dsr = ds + r * Ls;
	for (i64 h = threadIdx.x; h < H; h += blockDim.x) {
		const T qh = q[(i * B + b) * H + h], vh = v[h];
		T aq = 0, av = 0;
		for (i64 j = 0; j < Ls; j++) {
			const T g = dsr[j];
			if (g == T(0)) continue; // masked positions send nothing
			const T t = tanh_(qh + k[(j * B + b) * H + h]);
			aq += g * vh * (T(1) - t * t);
			av += g * t;
		}
		if (dq) dq[(i * B + b) * H + h] += aq;
		if (partial) partial[r * H + h] = av;
	}
}

// Block (b, j) = (blockIdx.x / Ls, blockIdx.x % Ls): dk[j, b, h] += Σ_i g·v·(1−t²).
template <typename T>
__device__ __forceinline__ void additive_bwd_k(i64 Lq, i64 Ls, i64 B, i64 H, T *dk, const T *ds, const T *q,
                                               const T *k, const T *v) {
	const i64 b = blockIdx.x / Ls, j = blockIdx.x % Ls;
	for (i64 h = threadIdx.x; h < H; h += blockDim.x) {
		const T kh = k[(j * B + b) * H + h], vh = v[h];
		T ak = 0;
		for (i64 i = 0; i < Lq; i++) {
			const T g = ds[(b * Lq + i) * Ls + j];
			if (g == T(0)) continue;
			const T t = tanh_(q[(i * B + b) * H + h] + kh);
			ak += g * vh * (T(1) - t * t);
		}
		dk[(j * B + b) * H + h] += ak;
	}
}

// dv[h] += Σ_r partial[r·H + h], the rows in order.
template <typename T> __device__ __forceinline__ void additive_dv(i64 rows, i64 H, const T *partial, T *dv) {
	FOR_N(h, H) {
		T s = 0;
		for (i64 r = 0; r < rows; r++) s += partial[r * H + h];
		dv[h] += s;
	}
}

#define ATTENTION_KERNELS(T, S)                                                                                   \
	extern "C" __global__ void masked_softmax_##S(i64 cols, i64 B, i64 group, T *y, const T *x,                  \
	                                              const int *lengths, const T *pad) {                             \
		masked_softmax<T>(cols, B, group, y, x, lengths, pad);                                                    \
	}                                                                                                             \
	extern "C" __global__ void softmax_bwd_##S(i64 cols, T *dx, const T *y, const T *dy) {                       \
		softmax_bwd<T>(cols, dx, y, dy);                                                                          \
	}                                                                                                             \
	extern "C" __global__ void additive_scores_##S(i64 Lq, i64 Ls, i64 B, i64 H, T *s, const T *q, const T *k,    \
	                                               const T *v) {                                                  \
		additive_scores<T>(Lq, Ls, B, H, s, q, k, v);                                                             \
	}                                                                                                             \
	extern "C" __global__ void additive_bwd_q_##S(i64 Lq, i64 Ls, i64 B, i64 H, T *dq, T *partial, const T *ds, \
	                                              const T *q, const T *k, const T *v) {                           \
		additive_bwd_q<T>(Lq, Ls, B, H, dq, partial, ds, q, k, v);                                                \
	}                                                                                                             \
	extern "C" __global__ void additive_bwd_k_##S(i64 Lq, i64 Ls, i64 B, i64 H, T *dk, const T *ds, const T *q, \
	                                              const T *k, const T *v) {                                       \
		additive_bwd_k<T>(Lq, Ls, B, H, dk, ds, q, k, v);                                                         \
	}                                                                                                             \
	extern "C" __global__ void additive_dv_##S(i64 rows, i64 H, const T *partial, T *dv) {                       \
		additive_dv<T>(rows, H, partial, dv);                                                                     \
	}
