// The fused SRU recurrence (kernels.SRUKernels): one thread per column (b, dir, unit) runs all L
// steps with its state c in a register. Thread idx = b·out + col, so a warp covers 32 adjacent
// columns of one batch row: every load and store of a step is coalesced (U's K blocks of a
// column are adjacent, so a warp's K loads read one contiguous span). Both directions run in the
// same launch (dir = col / H walks t backwards).
//
// Each step's inputs do not depend on the state, so they are loaded one step ahead: the loads of
// step s+1 are in flight while step s computes, which hides most of the memory latency of a
// recurrence that is otherwise latency-bound (L dependent steps, few threads per SM).
//
// The equations and their CPU twins are in kernels/cpu_sru.go and docs/SRU-MATH.md.

#pragma once
#include "common.cuh"

// sruStep holds the loads of one step.
template <typename T> struct sruStep {
	T u0, u1, u2, u3, x, pad;
};

template <typename T>
__device__ __forceinline__ void sru_load_fwd(sruStep<T> &s, const T *U, const T *X, const T *pad, i64 row, i64 o,
                                             int K, bool k3skip, bool k4skip) {
	const T *u = U + o * K;
	s.u0 = u[0];
	s.u1 = u[1];
	s.u2 = u[2];
	s.u3 = k4skip ? u[3] : T(0);
	s.x = k3skip ? X[o] : T(0);
	s.pad = pad ? pad[row] : T(0);
}

template <typename T>
__device__ __forceinline__ void sru_fwd(int L, int B, int H, int dirs, int K, int useTanh, int skip, T alpha,
                                        const T *U, const T *X, const T *wc, const T *bias, const T *c0, const T *pad,
                                        const T *mask, T *Y, T *C, T *CLast, T *F, T *R) {
	const int out = dirs * H;
	const i64 idx = (i64)blockIdx.x * blockDim.x + threadIdx.x;
	if (idx >= (i64)B * out) return;
	const int b = (int)(idx / out), col = (int)(idx - (i64)b * out);
	const bool rev = col >= H;
	const bool k3skip = skip && K == 3, k4skip = skip && K == 4;
	const T vf = wc[col], vr = wc[out + col], bf = bias[col], br = bias[out + col];
	const T m = mask ? mask[idx] : T(1);
	T c = c0 ? c0[idx] : T(0);

	sruStep<T> nx;
	{
		const i64 row = (i64)(rev ? L - 1 : 0) * B + b;
		if (L > 0) sru_load_fwd(nx, U, X, pad, row, row * out + col, K, k3skip, k4skip);
	}
	for (int s = 0; s < L; s++) {
		const int t = rev ? L - 1 - s : s;
		const i64 row = (i64)t * B + b;
		const i64 o = row * out + col;
		const sruStep<T> cur = nx;
		if (s + 1 < L) {
			const i64 nrow = (i64)(rev ? t - 1 : t + 1) * B + b;
			sru_load_fwd(nx, U, X, pad, nrow, nrow * out + col, K, k3skip, k4skip);
		}
		if (cur.pad != T(0)) { // the state carries over a padded step
			Y[o] = 0;
			C[o] = c;
			continue;
		}
		const T f = sigmoid_(cur.u1 + vf * c + bf);
		const T r = sigmoid_(cur.u2 + vr * c + br);
		if (F) {
			F[o] = f;
			R[o] = r;
		}
		c = (c - cur.u0) * f + cur.u0;
		const T g = useTanh ? tanh_(c) : c;
		T h;
		if (!skip) {
			h = g * m * r;
		} else {
			const T xp = K == 3 ? alpha * cur.x : cur.u3;
			h = (g - xp) * m * r + xp;
		}
		C[o] = c;
		Y[o] = h;
	}
	CLast[idx] = c;
}

// The backward step's loads: everything but the running gradient of c.
template <typename T> struct sruBackStep {
	T u0, u1, u2, u3, x, pad, cp, c, gh, f, r;
};

template <typename T>
__device__ __forceinline__ void sru_load_bwd(sruBackStep<T> &s, const T *U, const T *X, const T *pad, const T *C,
                                             const T c0v, const T *GY, const T *F, const T *R, int L, int B, int out,
                                             int b, int col, int t, int prevT, int K, bool k3skip, bool k4skip) {
	const i64 row = (i64)t * B + b;
	const i64 o = row * out + col;
	const T *u = U + o * K;
	s.pad = pad ? pad[row] : T(0);
	s.u0 = u[0];
	if (F) {
		s.f = F[o];
		s.r = R[o];
		s.u1 = s.u2 = 0;
	} else {
		s.u1 = u[1];
		s.u2 = u[2];
		s.f = s.r = 0;
	}
	s.u3 = k4skip ? u[3] : T(0);
	s.x = k3skip ? X[o] : T(0);
	s.cp = (prevT >= 0 && prevT < L) ? C[((i64)prevT * B + b) * out + col] : c0v;
	s.c = C[o];
	s.gh = GY[o];
}

// Writes GU (and GX for K = 3 with the skip term), GC0, and per-(b, col) sums of the bias and
// weight_c gradients into part [B, 4·out] = [gb_f | gb_r | gv_f | gv_r]; sru_param_grad adds
// them over b (in order: deterministic, unlike atomics).
template <typename T>
__device__ __forceinline__ void sru_bwd(int L, int B, int H, int dirs, int K, int useTanh, int skip, T alpha,
                                        const T *U, const T *X, const T *wc, const T *bias, const T *c0, const T *pad,
                                        const T *mask, const T *C, const T *F, const T *R, const T *GY,
                                        const T *GCLast, T *GU, T *GX, T *GC0, T *part) {
	const int out = dirs * H;
	const i64 idx = (i64)blockIdx.x * blockDim.x + threadIdx.x;
	if (idx >= (i64)B * out) return;
	const int b = (int)(idx / out), col = (int)(idx - (i64)b * out);
	const bool rev = col >= H;
	const bool k3skip = skip && K == 3, k4skip = skip && K == 4;
	const T vf = wc[col], vr = wc[out + col], bf = bias[col], br = bias[out + col];
	const T m = mask ? mask[idx] : T(1);
	const T c0v = c0 ? c0[idx] : T(0);
	T gc = GCLast ? GCLast[idx] : T(0);
	T gbf = 0, gbr = 0, gvf = 0, gvr = 0;

	// Backward visits t in the reverse of the forward's order.
	sruBackStep<T> nx;
	if (L > 0) {
		const int t = rev ? 0 : L - 1;
		sru_load_bwd(nx, U, X, pad, C, c0v, GY, F, R, L, B, out, b, col, t, rev ? t + 1 : t - 1, K, k3skip,
		             k4skip);
	}
	for (int s = 0; s < L; s++) {
		const int t = rev ? s : L - 1 - s;
		const i64 o = ((i64)t * B + b) * out + col;
		const sruBackStep<T> cur = nx;
		if (s + 1 < L) {
			const int nt = rev ? t + 1 : t - 1;
			sru_load_bwd(nx, U, X, pad, C, c0v, GY, F, R, L, B, out, b, col, nt, rev ? nt + 1 : nt - 1, K,
			             k3skip, k4skip);
		}
		T *gu = GU + o * K;
		if (cur.pad != T(0)) { // no step happened: no gradient reaches its inputs
			for (int k = 0; k < K; k++) gu[k] = 0;
			if (k3skip) GX[o] = 0;
			continue;
		}
		const T cp = cur.cp;
		T f = cur.f, r = cur.r;
		if (!F) {
			f = sigmoid_(cur.u1 + vf * cp + bf);
			r = sigmoid_(cur.u2 + vr * cp + br);
		}
		T gval = cur.c, dact = 1;
		if (useTanh) {
			gval = tanh_(cur.c);
			dact = T(1) - gval * gval;
		}
		T xp = 0;
		if (skip) xp = K == 3 ? alpha * cur.x : cur.u3;
		const T gh = cur.gh;
		const T gr = gh * (gval - xp) * m * r * (T(1) - r);
		const T dc = gc + gh * m * r * dact;
		const T gf = dc * (cp - cur.u0) * f * (T(1) - f);
		gu[0] = dc * (T(1) - f);
		gu[1] = gf;
		gu[2] = gr;
		if (skip) {
			const T dxp = gh * (T(1) - m * r);
			if (K == 3) {
				GX[o] = alpha * dxp;
			} else {
				gu[3] = dxp;
			}
		} else if (K == 4) {
			gu[3] = 0; // a fourth block without a skip term gets no gradient
		}
		gbf += gf;
		gbr += gr;
		gvf += gf * cp;
		gvr += gr * cp;
		gc = dc * f + gf * vf + gr * vr;
	}
	if (GC0) GC0[idx] = gc;
	T *p = part + (i64)b * 4 * out + col;
	p[0] = gbf;
	p[out] = gbr;
	p[2 * out] = gvf;
	p[3 * out] = gvr;
}

// GBias[j] += Σ_b part[b, j] and GWeightC[j] += Σ_b part[b, 2·out + j] for j < 2·out.
template <typename T>
__device__ __forceinline__ void sru_param_grad(int B, int out, const T *part, T *gbias, T *gwc) {
	FOR_N(j, 2 * (i64)out) {
		T sb = 0, sw = 0;
		for (int b = 0; b < B; b++) {
			const T *p = part + (i64)b * 4 * out;
			sb += p[j];
			sw += p[2 * out + j];
		}
		gbias[j] += sb;
		if (gwc) gwc[j] += sw;
	}
}

#define SRU_KERNELS(T, S)                                                                                          \
	extern "C" __global__ void sru_fwd_##S(int L, int B, int H, int dirs, int K, int useTanh, int skip, T alpha,   \
	                                       const T *U, const T *X, const T *wc, const T *bias, const T *c0,        \
	                                       const T *pad, const T *mask, T *Y, T *C, T *CLast, T *F, T *R) {        \
		sru_fwd<T>(L, B, H, dirs, K, useTanh, skip, alpha, U, X, wc, bias, c0, pad, mask, Y, C, CLast, F, R);      \
	}                                                                                                              \
	extern "C" __global__ void sru_bwd_##S(int L, int B, int H, int dirs, int K, int useTanh, int skip, T alpha,   \
	                                       const T *U, const T *X, const T *wc, const T *bias, const T *c0,        \
	                                       const T *pad, const T *mask, const T *C, const T *F, const T *R,        \
	                                       const T *GY, const T *GCLast, T *GU, T *GX, T *GC0, T *part) {          \
		sru_bwd<T>(L, B, H, dirs, K, useTanh, skip, alpha, U, X, wc, bias, c0, pad, mask, C, F, R, GY, GCLast, GU, \
		           GX, GC0, part);                                                                                 \
	}                                                                                                              \
	extern "C" __global__ void sru_param_grad_##S(int B, int out, const T *part, T *gbias, T *gwc) {               \
		sru_param_grad<T>(B, out, part, gbias, gwc);                                                               \
	}
