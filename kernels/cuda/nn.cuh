// Kernels of kernels.NNKernels. Row-wise kernels (layer norm, log-softmax, cross entropy) give
// each row one block of blockDim.x threads (a multiple of 32 picked by the Go side from cols) and
// reduce with block_sum/block_max; their sums are in T like the CPU device's. Parameter
// gradients of layer norm are column sums in two deterministic passes like colsum.

#pragma once
#include "common.cuh"

// rstd as the CPU device computes it: in float64, rounded to T.
template <typename T> __device__ __forceinline__ T rstd_of(T var_eps) { return (T)(1.0 / sqrt((double)var_eps)); }

template <typename T>
__device__ __forceinline__ void layer_norm(i64 cols, T *y, const T *x, const T *gamma, const T *beta, T *mean,
                                           T *rstd, T eps) {
	__shared__ T sh[32];
	const i64 r = blockIdx.x;
	const T *xr = x + r * cols;
	T *yr = y + r * cols;
	T s = 0;
	for (i64 c = threadIdx.x; c < cols; c += blockDim.x) s += xr[c];
	const T mu = block_sum(s, sh) / T(cols);
	T ss = 0;
	for (i64 c = threadIdx.x; c < cols; c += blockDim.x) {
		T d = xr[c] - mu;
		ss += d * d;
	}
	const T rs = rstd_of(block_sum(ss, sh) / T(cols) + eps);
	if (threadIdx.x == 0) {
		mean[r] = mu;
		rstd[r] = rs;
	}
	for (i64 c = threadIdx.x; c < cols; c += blockDim.x) {
		T v = (xr[c] - mu) * rs;
		if (gamma) v *= gamma[c];
		if (beta) v += beta[c];
		yr[c] = v;
	}
}

// dx += rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = dy·gamma and x̂ = (x−μ)·rstd.
template <typename T>
__device__ __forceinline__ void layer_norm_bwd(i64 cols, T *dx, const T *dy, const T *x, const T *gamma,
                                               const T *mean, const T *rstd) {
	__shared__ T sh[32];
	const i64 r = blockIdx.x;
	const T *xr = x + r * cols, *dyr = dy + r * cols;
	T *dxr = dx + r * cols;
	const T mu = mean[r], rs = rstd[r];
	T sg = 0, sgx = 0;
	for (i64 c = threadIdx.x; c < cols; c += blockDim.x) {
		T g = dyr[c];
		if (gamma) g *= gamma[c];
		sg += g;
		sgx += g * (xr[c] - mu) * rs;
	}
	const T a = block_sum(sg, sh) / T(cols);
	const T b = block_sum(sgx, sh) / T(cols);
	for (i64 c = threadIdx.x; c < cols; c += blockDim.x) {
		T g = dyr[c];
		if (gamma) g *= gamma[c];
		dxr[c] += rs * (g - a - (xr[c] - mu) * rs * b);
	}
}

// dgamma[c] += Σ_r dy·x̂ and dbeta[c] += Σ_r dy (either may be null), in the layout of colsum:
// with partial != null, chunk k writes partial[k·2·cols + c] (dgamma) and [.. + cols + c]
// (dbeta), and layer_norm_param_finish adds them up.
template <typename T>
__device__ __forceinline__ void layer_norm_param(i64 rows, i64 cols, T *dgamma, T *dbeta, const T *dy, const T *x,
                                                 const T *mean, const T *rstd, T *partial, i64 rowsPerChunk) {
	__shared__ T shg[8][33], shb[8][33];
	const i64 c = (i64)blockIdx.x * 32 + threadIdx.x;
	const i64 r0 = (i64)blockIdx.y * rowsPerChunk;
	const i64 r1 = min(rows, r0 + rowsPerChunk);
	T sg = 0, sb = 0;
	if (c < cols) {
		for (i64 r = r0 + threadIdx.y; r < r1; r += 8) {
			T d = dy[r * cols + c];
			sg += d * (x[r * cols + c] - mean[r]) * rstd[r];
			sb += d;
		}
	}
	shg[threadIdx.y][threadIdx.x] = sg;
	shb[threadIdx.y][threadIdx.x] = sb;
	__syncthreads();
	if (threadIdx.y == 0 && c < cols) {
		T tg = shg[0][threadIdx.x], tb = shb[0][threadIdx.x];
		for (int k = 1; k < 8; k++) {
			tg += shg[k][threadIdx.x];
			tb += shb[k][threadIdx.x];
		}
		if (partial == nullptr) {
			if (dgamma) dgamma[c] += tg;
			if (dbeta) dbeta[c] += tb;
		} else {
			partial[(i64)blockIdx.y * 2 * cols + c] = tg;
			partial[(i64)blockIdx.y * 2 * cols + cols + c] = tb;
		}
	}
}

template <typename T>
__device__ __forceinline__ void layer_norm_param_finish(i64 chunks, i64 cols, const T *partial, T *dgamma, T *dbeta) {
	FOR_N(c, cols) {
		T tg = 0, tb = 0;
		for (i64 k = 0; k < chunks; k++) {
			tg += partial[k * 2 * cols + c];
			tb += partial[k * 2 * cols + cols + c];
		}
		if (dgamma) dgamma[c] += tg;
		if (dbeta) dbeta[c] += tb;
	}
}

// log Σ exp over a row, with the max subtracted so that exp cannot overflow.
template <typename T> __device__ __forceinline__ T row_logsumexp(i64 cols, const T *xr, T *sh) {
	T m = -INFINITY;
	for (i64 c = threadIdx.x; c < cols; c += blockDim.x) m = max(m, xr[c]);
	m = block_max(m, sh);
	T s = 0;
	for (i64 c = threadIdx.x; c < cols; c += blockDim.x) s += exp_(xr[c] - m);
	s = block_sum(s, sh);
	return m + log_(s);
}

template <typename T> __device__ __forceinline__ void log_softmax(i64 cols, T *y, const T *x) {
	__shared__ T sh[32];
	const i64 r = blockIdx.x;
	const T *xr = x + r * cols;
	T *yr = y + r * cols;
	const T lse = row_logsumexp(cols, xr, sh);
	for (i64 c = threadIdx.x; c < cols; c += blockDim.x) yr[c] = xr[c] - lse;
}

// dx += dy − softmax·Σdy
template <typename T> __device__ __forceinline__ void log_softmax_bwd(i64 cols, T *dx, const T *y, const T *dy) {
	__shared__ T sh[32];
	const i64 r = blockIdx.x;
	const T *yr = y + r * cols, *dyr = dy + r * cols;
	T *dxr = dx + r * cols;
	T s = 0;
	for (i64 c = threadIdx.x; c < cols; c += blockDim.x) s += dyr[c];
	s = block_sum(s, sh);
	for (i64 c = threadIdx.x; c < cols; c += blockDim.x) dxr[c] += dyr[c] - exp_(yr[c]) * s;
}

// logProbs = log_softmax(logits); loss[r] = (1−ε)·w[t]·(−logProbs[r, t]) + (ε/cols)·Σ_c w[c]·(−logProbs[r, c]),
// 0 where t = ignore, NaN (and a raised flag) where t is out of range.
template <typename T>
__device__ __forceinline__ void ce_fwd(i64 cols, T *lp, T *loss, const T *logits, const int *targets, const T *w,
                                       int ignore, T eps, int *flags) {
	__shared__ T sh[32];
	const i64 r = blockIdx.x;
	const T *xr = logits + r * cols;
	T *lr = lp + r * cols;
	const T lse = row_logsumexp(cols, xr, sh);
	T s = 0; // Σ_c w[c]·lp[c], for the smoothing
	for (i64 c = threadIdx.x; c < cols; c += blockDim.x) {
		const T v = xr[c] - lse;
		lr[c] = v;
		s += w ? w[c] * v : v;
	}
	const int t = targets[r];
	if (eps != T(0) && t != ignore) s = block_sum(s, sh); // t is the same for the whole block
	if (threadIdx.x == 0) {
		if (t == ignore) {
			loss[r] = 0;
		} else if (t < 0 || t >= cols) {
			raise_flag(flags, ERR_TARGET);
			loss[r] = NAN;
		} else {
			// xr[t] − lse is exactly what this block stored in lr[t], read without a barrier.
			const T wt = w ? w[t] : T(1);
			if (eps == T(0)) {
				loss[r] = -wt * (xr[t] - lse);
			} else {
				loss[r] = (T(1) - eps) * wt * (-(xr[t] - lse)) - eps / T(cols) * s;
			}
		}
	}
}

// sums[0] = Σ loss, sums[1] = Σ w[t] over rows with a valid, non-ignored target (added in
// double), mean[0] = sums[0]/sums[1] or 0; one block.
template <typename T>
__device__ __forceinline__ void ce_sums(i64 rows, i64 cols, const T *loss, const int *targets, const T *w, int ignore,
                                        T *sums, T *mean) {
	__shared__ double sh[32];
	double sl = 0, sw = 0;
	for (i64 r = threadIdx.x; r < rows; r += blockDim.x) {
		sl += (double)loss[r];
		const int t = targets[r];
		if (t != ignore && t >= 0 && t < cols) sw += w ? (double)w[t] : 1.0;
	}
	sl = block_sum(sl, sh);
	sw = block_sum(sw, sh);
	if (threadIdx.x == 0) {
		sums[0] = (T)sl;
		sums[1] = (T)sw;
		mean[0] = sw != 0 ? (T)(sl / sw) : T(0);
	}
}

// One block per row: dlogits += a·softmax − ks·w[c] − kt·onehot(t) with scale = dmean/sums[1],
// kt = scale·(1−ε)·w[t], ks = scale·ε/cols and a = kt + ks·Σ_c w[c]; rows with a valid target only,
// nothing when sums[1] = 0.
template <typename T>
__device__ __forceinline__ void ce_bwd(i64 cols, T *dl, const T *lp, const int *targets, const T *w, int ignore,
                                       T eps, const T *dmean, const T *sums, int *flags) {
	__shared__ T sh[32];
	const double ws = (double)sums[1];
	const int t = targets[blockIdx.x];
	if (ws == 0 || t == ignore) return; // uniform over the block
	if (t < 0 || t >= cols) {
		if (threadIdx.x == 0) raise_flag(flags, ERR_TARGET);
		return;
	}
	const T scale = (T)((double)dmean[0] / ws);
	const i64 r = blockIdx.x;
	const T *lr = lp + r * cols;
	T *dr = dl + r * cols;
	if (eps == T(0)) {
		const T k = w ? scale * w[t] : scale;
		for (i64 c = threadIdx.x; c < cols; c += blockDim.x) {
			T v = dr[c] + k * exp_(lr[c]);
			if (c == t) v -= k;
			dr[c] = v;
		}
		return;
	}
	T wsum = T(cols);
	if (w) {
		T s = 0;
		for (i64 c = threadIdx.x; c < cols; c += blockDim.x) s += w[c];
		wsum = block_sum(s, sh);
	}
	const T kt = scale * (T(1) - eps) * (w ? w[t] : T(1));
	const T ks = scale * eps / T(cols);
	const T a = kt + ks * wsum;
	for (i64 c = threadIdx.x; c < cols; c += blockDim.x) {
		T v = dr[c] + (a * exp_(lr[c]) - ks * (w ? w[c] : T(1)));
		if (c == t) v -= kt;
		dr[c] = v;
	}
}

// dst[r, :] = table[ids[r], :]; zeros for a negative (padding) id or a bad one (flagged).
template <typename T>
__device__ __forceinline__ void gather(i64 rows, i64 cols, T *dst, const T *table, const int *ids, i64 tableRows,
                                       int *flags) {
	FOR_N(i, rows * cols) {
		const i64 r = i / cols, c = i - r * cols;
		const int id = ids[r];
		T v = 0;
		if (id >= tableRows) {
			raise_flag(flags, ERR_GATHER_ID);
		} else if (id >= 0) {
			v = table[(i64)id * cols + c];
		}
		dst[i] = v;
	}
}

// table[ids[r], :] += src[r, :] with atomics (ids repeat); padding ids are skipped.
template <typename T>
__device__ __forceinline__ void scatter_add(i64 rows, i64 cols, T *table, const T *src, const int *ids, i64 tableRows,
                                            int *flags) {
	FOR_N(i, rows * cols) {
		const i64 r = i / cols, c = i - r * cols;
		const int id = ids[r];
		if (id < 0) continue;
		if (id >= tableRows) {
			raise_flag(flags, ERR_SCATTER_ID);
			continue;
		}
		atomicAdd(table + (i64)id * cols + c, src[i]);
	}
}

// Pooling over time of [L, B, D]: one thread per (b, d), looping over t (coalesced over d).
template <typename T>
__device__ __forceinline__ void max_over_time(i64 L, i64 B, i64 D, T *y, int *argmax, const T *x, const T *pad) {
	FOR_N(i, B * D) {
		const i64 b = i / D, d = i - b * D;
		T best = 0;
		int arg = -1;
		for (i64 s = 0; s < L; s++) {
			if (pad && pad[s * B + b] != T(0)) continue;
			const T v = x[(s * B + b) * D + d];
			if (arg < 0 || v > best) {
				best = v;
				arg = (int)s;
			}
		}
		y[i] = best;
		argmax[i] = arg;
	}
}

template <typename T>
__device__ __forceinline__ void max_over_time_bwd(i64 L, i64 B, i64 D, T *dx, const T *dy, const int *argmax) {
	FOR_N(i, B * D) {
		const i64 b = i / D, d = i - b * D;
		const int s = argmax[i];
		if (s >= 0) dx[(s * B + b) * D + d] += dy[i];
	}
}

template <typename T>
__device__ __forceinline__ void mean_over_time(i64 L, i64 B, i64 D, T *y, const T *x, const T *pad) {
	FOR_N(i, B * D) {
		const i64 b = i / D, d = i - b * D;
		T s = 0;
		i64 n = 0;
		for (i64 t = 0; t < L; t++) {
			if (pad && pad[t * B + b] != T(0)) continue;
			n++;
			s += x[(t * B + b) * D + d];
		}
		if (n > 0) s *= T(1) / T(n);
		y[i] = s;
	}
}

template <typename T>
__device__ __forceinline__ void mean_over_time_bwd(i64 L, i64 B, i64 D, T *dx, const T *dy, const T *pad) {
	FOR_N(i, B * D) {
		const i64 b = i / D, d = i - b * D;
		i64 n = 0;
		for (i64 t = 0; t < L; t++) {
			if (!(pad && pad[t * B + b] != T(0))) n++;
		}
		if (n == 0) continue;
		const T g = dy[i] * (T(1) / T(n));
		for (i64 t = 0; t < L; t++) {
			if (pad && pad[t * B + b] != T(0)) continue;
			dx[(t * B + b) * D + d] += g;
		}
	}
}

// SGD as kernels.NNKernels.SGDStep; mom is null without momentum.
template <typename T>
__device__ __forceinline__ void sgd(i64 n, T *p, const T *g, T *mom, T lr, T momentum, T wd, int nesterov) {
	FOR_N(i, n) {
		T gi = g[i] + wd * p[i];
		if (mom == nullptr) {
			p[i] -= lr * gi;
			continue;
		}
		const T m = momentum * mom[i] + gi;
		mom[i] = m;
		p[i] -= lr * (nesterov ? gi + momentum * m : m);
	}
}

// Adam with lr already divided by 1 − β1^t and bc2rt = sqrt(1 − β2^t) (computed in float64 by
// the caller, as on the CPU).
template <typename T>
__device__ __forceinline__ void adam(i64 n, T *p, const T *g, T *m, T *v, T lr, T b1, T b2, T eps, T wd, T bc2rt) {
	FOR_N(i, n) {
		const T gi = g[i] + wd * p[i];
		const T mi = b1 * m[i] + (T(1) - b1) * gi;
		const T vi = b2 * v[i] + (T(1) - b2) * gi * gi;
		m[i] = mi;
		v[i] = vi;
		p[i] -= lr * mi / (sqrt_(vi) / bc2rt + eps);
	}
}

// Adamax (torch.optim.Adamax) with lr already divided by 1 − β1^t (in float64 by the caller).
template <typename T>
__device__ __forceinline__ void adamax(i64 n, T *p, const T *g, T *m, T *u, T lr, T b1, T b2, T eps, T wd) {
	FOR_N(i, n) {
		const T gi = g[i] + wd * p[i];
		const T mi = b1 * m[i] + (T(1) - b1) * gi;
		const T ui = max(b2 * u[i], (gi < T(0) ? -gi : gi) + eps);
		m[i] = mi;
		u[i] = ui;
		p[i] -= lr * (mi / ui);
	}
}

#define NN_KERNELS(T, S)                                                                                       \
	extern "C" __global__ void layer_norm_##S(i64 cols, T *y, const T *x, const T *gamma, const T *beta,       \
	                                          T *mean, T *rstd, T eps) {                                       \
		layer_norm<T>(cols, y, x, gamma, beta, mean, rstd, eps);                                               \
	}                                                                                                          \
	extern "C" __global__ void layer_norm_bwd_##S(i64 cols, T *dx, const T *dy, const T *x, const T *gamma,    \
	                                              const T *mean, const T *rstd) {                              \
		layer_norm_bwd<T>(cols, dx, dy, x, gamma, mean, rstd);                                                 \
	}                                                                                                          \
	extern "C" __global__ void layer_norm_param_##S(i64 rows, i64 cols, T *dgamma, T *dbeta, const T *dy,      \
	                                                const T *x, const T *mean, const T *rstd, T *partial,      \
	                                                i64 rowsPerChunk) {                                        \
		layer_norm_param<T>(rows, cols, dgamma, dbeta, dy, x, mean, rstd, partial, rowsPerChunk);              \
	}                                                                                                          \
	extern "C" __global__ void layer_norm_param_finish_##S(i64 chunks, i64 cols, const T *partial, T *dgamma,  \
	                                                       T *dbeta) {                                         \
		layer_norm_param_finish<T>(chunks, cols, partial, dgamma, dbeta);                                      \
	}                                                                                                          \
	extern "C" __global__ void log_softmax_##S(i64 cols, T *y, const T *x) { log_softmax<T>(cols, y, x); }     \
	extern "C" __global__ void log_softmax_bwd_##S(i64 cols, T *dx, const T *y, const T *dy) {                 \
		log_softmax_bwd<T>(cols, dx, y, dy);                                                                   \
	}                                                                                                          \
	extern "C" __global__ void ce_fwd_##S(i64 cols, T *lp, T *loss, const T *logits, const int *targets,       \
	                                      const T *w, int ignore, T eps, int *flags) {                         \
		ce_fwd<T>(cols, lp, loss, logits, targets, w, ignore, eps, flags);                                     \
	}                                                                                                          \
	extern "C" __global__ void ce_sums_##S(i64 rows, i64 cols, const T *loss, const int *targets, const T *w,  \
	                                       int ignore, T *sums, T *mean) {                                     \
		ce_sums<T>(rows, cols, loss, targets, w, ignore, sums, mean);                                          \
	}                                                                                                          \
	extern "C" __global__ void ce_bwd_##S(i64 cols, T *dl, const T *lp, const int *targets, const T *w,        \
	                                      int ignore, T eps, const T *dmean, const T *sums, int *flags) {      \
		ce_bwd<T>(cols, dl, lp, targets, w, ignore, eps, dmean, sums, flags);                                  \
	}                                                                                                          \
	extern "C" __global__ void gather_##S(i64 rows, i64 cols, T *dst, const T *table, const int *ids,          \
	                                      i64 tableRows, int *flags) {                                         \
		gather<T>(rows, cols, dst, table, ids, tableRows, flags);                                              \
	}                                                                                                          \
	extern "C" __global__ void scatter_add_##S(i64 rows, i64 cols, T *table, const T *src, const int *ids,     \
	                                           i64 tableRows, int *flags) {                                    \
		scatter_add<T>(rows, cols, table, src, ids, tableRows, flags);                                         \
	}                                                                                                          \
	extern "C" __global__ void max_over_time_##S(i64 L, i64 B, i64 D, T *y, int *argmax, const T *x,           \
	                                             const T *pad) {                                               \
		max_over_time<T>(L, B, D, y, argmax, x, pad);                                                          \
	}                                                                                                          \
	extern "C" __global__ void max_over_time_bwd_##S(i64 L, i64 B, i64 D, T *dx, const T *dy,                  \
	                                                 const int *argmax) {                                      \
		max_over_time_bwd<T>(L, B, D, dx, dy, argmax);                                                         \
	}                                                                                                          \
	extern "C" __global__ void mean_over_time_##S(i64 L, i64 B, i64 D, T *y, const T *x, const T *pad) {       \
		mean_over_time<T>(L, B, D, y, x, pad);                                                                 \
	}                                                                                                          \
	extern "C" __global__ void mean_over_time_bwd_##S(i64 L, i64 B, i64 D, T *dx, const T *dy, const T *pad) { \
		mean_over_time_bwd<T>(L, B, D, dx, dy, pad);                                                           \
	}                                                                                                          \
	extern "C" __global__ void sgd_##S(i64 n, T *p, const T *g, T *mom, T lr, T momentum, T wd, int nesterov) { \
		sgd<T>(n, p, g, mom, lr, momentum, wd, nesterov);                                                      \
	}                                                                                                          \
	extern "C" __global__ void adam_##S(i64 n, T *p, const T *g, T *m, T *v, T lr, T b1, T b2, T eps, T wd,    \
	                                    T bc2rt) {                                                             \
		adam<T>(n, p, g, m, v, lr, b1, b2, eps, wd, bc2rt);                                                    \
	}                                                                                                          \
	extern "C" __global__ void adamax_##S(i64 n, T *p, const T *g, T *m, T *u, T lr, T b1, T b2, T eps, T wd) { \
		adamax<T>(n, p, g, m, u, lr, b1, b2, eps, wd);                                                         \
	}
