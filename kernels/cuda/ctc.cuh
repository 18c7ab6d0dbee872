// The CTC loss of kernels.CTCKernels, fused with the log-softmax of the logits. One block per
// sequence; its threads share the positions s of the extended label sequence l' (2L+1: the
// blank, each label, the blank) and walk the frames in order with a barrier between frames.
// log α and log β, each frame normalised to a maximum of 0, live in the workspace (global
// memory, laid out as on the CPU device: lse [Lmax, B], alpha [B, Lmax, 2S+1],
// beta [B, 2, 2S+1]), and every sum of exponentials is taken around its maximum. The gradient
// of a frame is written in two passes separated by barriers: dlogits += dloss·softmax over the
// classes, then each class subtracts dloss·(its posterior), summed by one thread per class
// (block_sum for the blank, the first position of each label for that label), so no two
// threads write one element.

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

// log(α(last) + α(last−1)) of the last row: the alignments that end on the final blank or label.
template <typename T> __device__ __forceinline__ T ctc_end(const T *end, i64 ext) {
	return ext > 1 ? ctc_lse2(end[ext - 1], end[ext - 2]) : end[0];
}

// ctc_normalize subtracts the block-wide maximum of row (each thread its own positions, the
// ones it wrote) and returns it (0 when the row is all −Inf): log α and log β stay relative to
// their frame's largest entry, so their rounding stays small however long the sequence.
template <typename T> __device__ __forceinline__ T ctc_normalize(T *row, i64 ext, T local_max, T *sh) {
	T m = block_max(local_max, sh);
	if (m == -INFINITY) m = 0;
	for (i64 s = threadIdx.x; s < ext; s += blockDim.x) row[s] -= m;
	return m;
}

template <typename T>
__device__ __forceinline__ void ctc_fwd(i64 L, i64 B, i64 C, i64 S, int blank, int zeroInf, T *loss, T *work,
                                        const T *logits, const int *inLen, const int *targets, const int *tgtLen,
                                        int *flags) {
	__shared__ int info[3];
	__shared__ T sh[32];
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
	T lm = -INFINITY;
	for (i64 s = threadIdx.x; s < ext; s += blockDim.x) {
		const T v = s < 2 ? logits[n * C + ctc_label(lab, blank, s)] - lse[n] : T(-INFINITY);
		alpha[s] = v;
		lm = max(lm, v);
	}
	double scale = ctc_normalize(alpha, ext, lm, sh); // Σ_t of the maxima taken out of the rows
	for (i64 t = 1; t < steps; t++) {
		__syncthreads();
		const T *prev = alpha + (t - 1) * stride, *x = logits + (t * B + n) * C;
		T *cur = alpha + t * stride;
		const T l = lse[t * B + n];
		lm = -INFINITY;
		for (i64 s = threadIdx.x; s < ext; s += blockDim.x) {
			T v = prev[s];
			if (s >= 1) v = ctc_skip(lab, s) ? ctc_lse3(prev[s], prev[s - 1], prev[s - 2]) : ctc_lse2(prev[s], prev[s - 1]);
			v = v + x[ctc_label(lab, blank, s)] - l;
			cur[s] = v;
			lm = max(lm, v);
		}
		scale += ctc_normalize(cur, ext, lm, sh);
	}
	__syncthreads();
	if (threadIdx.x == 0) loss[n] = T(-(scale + (double)ctc_end(alpha + (i64)(steps - 1) * stride, ext)));
}

// The gradient of frame t: dloss·(softmax − posterior of each class), the posterior of
// position s being α_t(s)·β_t(s) / Σ_s' α_t(s')·β_t(s').
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
	const T k = dloss[n];
	for (i64 s = threadIdx.x; s < ext; s += blockDim.x) cur[s] = s >= ext - 2 ? T(0) : T(-INFINITY);
	for (i64 t = steps - 1; t >= 0; t--) {
		__syncthreads(); // cur (log β_t) is complete
		const T *x = logits + (t * B + n) * C, *at = alpha + t * stride;
		const T l = lse[t * B + n];
		T *dl = dlogits + (t * B + n) * C;
		for (i64 c = threadIdx.x; c < C; c += blockDim.x) dl[c] += k * exp_(x[c] - l);
		T m = -INFINITY;
		for (i64 s = threadIdx.x; s < ext; s += blockDim.x) m = max(m, at[s] + cur[s]);
		m = block_max(m, sh);
		T z = 0, zb = 0; // Σ over every position, and over the blanks
		for (i64 s = threadIdx.x; s < ext; s += blockDim.x) {
			const T e = exp_(at[s] + cur[s] - m);
			z += e;
			if (!(s & 1)) zb += e;
		}
		z = block_sum(z, sh);
		zb = block_sum(zb, sh); // the barriers also order the softmax pass before the subtractions
		const T kz = k / z;
		if (threadIdx.x == 0) dl[blank] -= kz * zb;
		for (i64 i = threadIdx.x; i < len; i += blockDim.x) {
			const int c = lab[i];
			bool first = true;
			for (int j = 0; j < i && first; j++) first = lab[j] != c;
			if (!first) continue;
			T zl = 0;
			for (i64 j = i; j < len; j++) {
				if (lab[j] == c) zl += exp_(at[2 * j + 1] + cur[2 * j + 1] - m);
			}
			dl[c] -= kz * zl;
		}
		if (t == 0) break;
		// log β_{t−1}(s) = log Σ_{s' ∈ {s, s+1, s+2 when it may be skipped to}} β_t(s')·y_t(l'_s')
		T lm = -INFINITY;
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
			v -= l;
			next[s] = v;
			lm = max(lm, v);
		}
		ctc_normalize(next, ext, lm, sh);
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
