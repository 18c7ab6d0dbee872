// The CTC loss of kernels.CTCKernels, fused with the log-softmax of the logits. One block per
// sequence; its threads share the positions s of the extended label sequence l' (2L+1: the
// blank, each label, the blank) and walk the frames in order with a barrier between frames.
// log α and log β live in the workspace (global memory, laid out as on the CPU device:
// lse [Lmax, B], alpha [B, Lmax, 2S+1], beta [B, 2, 2S+1]), and every sum of exponentials is
// taken around its maximum. The gradient of a frame is written in two passes separated by a
// barrier: dlogits += dloss·softmax over the classes, then each class subtracts
// dloss·Σ_{s: l'_s = c} α·β/p, summed by one thread per class (block_sum for the blank, the
// first position of each label for that label), so no two threads write one element.

#pragma once
#include "common.cuh"

enum { CTC_OK = 0, CTC_INFEASIBLE = 1, CTC_EMPTY = 2, CTC_BAD = 3 };

template <typename T> __device__ __forceinline__ T ctc_lse2(T a, T b) {
	const T m = max(a, b);
	if (m == -INFINITY) return m;
	return m + log_(T(1) + exp_(min(a, b) - m));
}

template <typename T> __device__ __forceinline__ T ctc_lse3(T a, T b, T c) {
	const T m = max(max(a, b), c);
	if (m == -INFINITY) return m;
	return m + log_(exp_(a - m) + exp_(b - m) + exp_(c - m));
}

// l'_s: the blank at even s, label (s−1)/2 at odd s.
__device__ __forceinline__ int ctc_label(const int *lab, int blank, i64 s) { return (s & 1) ? lab[s >> 1] : blank; }

// Whether an alignment may jump from s−2 to s: odd s ≥ 3 whose label differs from the one before.
__device__ __forceinline__ bool ctc_skip(const int *lab, i64 s) { return (s & 1) && s >= 3 && lab[s >> 1] != lab[(s >> 1) - 1]; }

// ctc_prepare: thread 0 checks sequence n's lengths and labels and whether it has an alignment,
// and leaves info = {status, frames, labels} for the whole block. A bad value raises ERR_CTC.
__device__ __forceinline__ void ctc_prepare(i64 L, i64 C, i64 S, int blank, i64 n, const int *inLen,
                                            const int *targets, const int *tgtLen, int *flags, int *info) {
	if (threadIdx.x == 0) {
		const int steps = inLen[n], len = tgtLen[n];
		int status = CTC_OK;
		if (steps < 0 || steps > L || len < 0 || len > S) {
			status = CTC_BAD;
		} else {
			int need = len;
			for (int i = 0; i < len; i++) {
				const int c = targets[n * S + i];
				if (c < 0 || c >= C || c == blank) status = CTC_BAD;
				if (i > 0 && c == targets[n * S + i - 1]) need++;
			}
			if (status == CTC_OK && steps < need) status = CTC_INFEASIBLE;
			if (status == CTC_OK && steps == 0) status = CTC_EMPTY;
		}
		if (status == CTC_BAD) raise_flag(flags, ERR_CTC);
		info[0] = status;
		info[1] = steps;
		info[2] = len;
	}
	__syncthreads();
}

// −log p from the last row of log α.
template <typename T> __device__ __forceinline__ T ctc_nll(const T *end, i64 ext) {
	return ext > 1 ? -ctc_lse2(end[ext - 1], end[ext - 2]) : -end[0];
}

template <typename T>
__device__ __forceinline__ void ctc_fwd(i64 L, i64 B, i64 C, i64 S, int blank, int zeroInf, T *loss, T *work,
                                        const T *logits, const int *inLen, const int *targets, const int *tgtLen,
                                        int *flags) {
	__shared__ int info[3];
	const i64 n = blockIdx.x;
	ctc_prepare(L, C, S, blank, n, inLen, targets, tgtLen, flags, info);
	const int status = info[0], steps = info[1];
	if (status != CTC_OK) {
		if (threadIdx.x == 0) {
			loss[n] = status == CTC_BAD ? T(NAN) : status == CTC_INFEASIBLE && !zeroInf ? T(INFINITY) : T(0);
		}
		return;
	}
	const i64 ext = 2 * (i64)info[2] + 1, stride = 2 * S + 1;
	const int *lab = targets + n * S;
	T *lse = work, *alpha = work + L * B + n * L * stride;
	// log Σ exp of each frame: one warp per frame.
	const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
	for (i64 t = warp; t < steps; t += warps) {
		const T *x = logits + (t * B + n) * C;
		T m = -INFINITY;
		for (i64 c = lane; c < C; c += 32) m = max(m, x[c]);
		m = warp_max(m);
		T s = 0;
		for (i64 c = lane; c < C; c += 32) s += exp_(x[c] - m);
		s = warp_sum(s);
		if (lane == 0) lse[t * B + n] = m + log_(s);
	}
	__syncthreads();
	for (i64 s = threadIdx.x; s < ext; s += blockDim.x) {
		alpha[s] = s < 2 ? logits[n * C + ctc_label(lab, blank, s)] - lse[n] : T(-INFINITY);
	}
	for (i64 t = 1; t < steps; t++) {
		__syncthreads();
		const T *prev = alpha + (t - 1) * stride, *x = logits + (t * B + n) * C;
		T *cur = alpha + t * stride;
		const T l = lse[t * B + n];
		for (i64 s = threadIdx.x; s < ext; s += blockDim.x) {
			T v = prev[s];
			if (s >= 1) v = ctc_skip(lab, s) ? ctc_lse3(prev[s], prev[s - 1], prev[s - 2]) : ctc_lse2(prev[s], prev[s - 1]);
			cur[s] = v + x[ctc_label(lab, blank, s)] - l;
		}
	}
	__syncthreads();
	if (threadIdx.x == 0) loss[n] = ctc_nll(alpha + (i64)(steps - 1) * stride, ext);
}

template <typename T>
__device__ __forceinline__ void ctc_bwd(i64 L, i64 B, i64 C, i64 S, int blank, T *dlogits, const T *dloss, T *work,
                                        const T *logits, const int *inLen, const int *targets, const int *tgtLen,
                                        int *flags) {
	__shared__ int info[3];
	__shared__ T sh[32];
	const i64 n = blockIdx.x;
	ctc_prepare(L, C, S, blank, n, inLen, targets, tgtLen, flags, info);
	if (info[0] != CTC_OK) return; // no gradient
	const int steps = info[1], len = info[2];
	const i64 ext = 2 * (i64)len + 1, stride = 2 * S + 1;
	const int *lab = targets + n * S;
	const T *lse = work, *alpha = work + L * B + n * L * stride;
	T *cur = work + L * B + B * L * stride + 2 * n * stride, *next = cur + stride;
	const T nll = ctc_nll(alpha + (i64)(steps - 1) * stride, ext);
	const T k = dloss[n];
	for (i64 s = threadIdx.x; s < ext; s += blockDim.x) cur[s] = s >= ext - 2 ? T(0) : T(-INFINITY);
	for (i64 t = steps - 1; t >= 0; t--) {
		__syncthreads(); // cur (log β_t) is complete
		const T *x = logits + (t * B + n) * C, *at = alpha + t * stride;
		const T l = lse[t * B + n];
		T *dl = dlogits + (t * B + n) * C;
		for (i64 c = threadIdx.x; c < C; c += blockDim.x) dl[c] += k * exp_(x[c] - l);
		T sb = 0; // the blank's share of the posterior
		for (i64 s = 2 * threadIdx.x; s < ext; s += 2 * blockDim.x) {
			const T v = at[s] + cur[s];
			if (v > T(-INFINITY)) sb += exp_(v + nll);
		}
		sb = block_sum(sb, sh); // its barriers also order the softmax pass before the subtractions
		if (threadIdx.x == 0) dl[blank] -= k * sb;
		for (i64 i = threadIdx.x; i < len; i += blockDim.x) {
			const int c = lab[i];
			bool first = true;
			for (int j = 0; j < i && first; j++) first = lab[j] != c;
			if (!first) continue;
			T sl = 0;
			for (i64 j = i; j < len; j++) {
				if (lab[j] != c) continue;
				const T v = at[2 * j + 1] + cur[2 * j + 1];
				if (v > T(-INFINITY)) sl += exp_(v + nll);
			}
			dl[c] -= k * sl;
		}
		if (t == 0) break;
		// log β_{t−1}(s) = log Σ_{s' ∈ {s, s+1, s+2 when it may be skipped to}} β_t(s')·y_t(l'_s')
		for (i64 s = threadIdx.x; s < ext; s += blockDim.x) {
			const T b0 = cur[s] + x[ctc_label(lab, blank, s)];
			T v;
			if (s + 1 >= ext) {
				v = b0;
			} else {
				const T b1 = cur[s + 1] + x[ctc_label(lab, blank, s + 1)];
				v = s + 2 < ext && ctc_skip(lab, s + 2) ? ctc_lse3(b0, b1, cur[s + 2] + x[lab[(s + 2) >> 1]])
				                                       : ctc_lse2(b0, b1);
			}
			next[s] = v - l;
		}
		T *tmp = cur;
		cur = next;
		next = tmp;
	}
}

#define CTC_KERNELS(T, S)                                                                                      \
	extern "C" __global__ void ctc_fwd_##S(i64 L, i64 B, i64 C, i64 Scap, int blank, int zeroInf, T *loss,     \
	                                       T *work, const T *logits, const int *inLen, const int *targets,     \
	                                       const int *tgtLen, int *flags) {                                    \
		ctc_fwd<T>(L, B, C, Scap, blank, zeroInf, loss, work, logits, inLen, targets, tgtLen, flags);        \
	}                                                                                                          \
	extern "C" __global__ void ctc_bwd_##S(i64 L, i64 B, i64 C, i64 Scap, int blank, T *dlogits,              \
	                                       const T *dloss, T *work, const T *logits, const int *inLen,         \
	                                       const int *targets, const int *tgtLen, int *flags) {                \
		ctc_bwd<T>(L, B, C, Scap, blank, dlogits, dloss, work, logits, inLen, targets, tgtLen, flags);      \
	}
