// The fused LSTM cell (kernels.LSTMKernels): one step of one direction, one thread per state
// element (b, j) of [B, H]. Thread idx = b·H + j, so a warp reads 32 adjacent units of each of
// the four gate blocks of a row: coalesced. Each thread reads every input element it needs
// before it writes any output, and owns the same (b, j) of every buffer, which is what makes
// the documented in-place aliasing (c over cPrev, dgates over gates, dcPrev over dc, dhPrev over
// dh) safe.

#pragma once
#include "common.cuh"

template <typename T>
__device__ __forceinline__ void lstm_fwd(int B, int H, T *gates, const T *bias, const T *cPrev, const T *hPrev, T *c,
                                         T *h, T *y, i64 ldy, const T *pad) {
	const i64 idx = (i64)blockIdx.x * blockDim.x + threadIdx.x;
	if (idx >= (i64)B * H) return;
	const int b = (int)(idx / H), j = (int)(idx - (i64)b * H);
	if (pad && pad[b] != T(0)) { // the step does not happen: the state carries over
		c[idx] = cPrev[idx];
		h[idx] = hPrev[idx];
		if (y) y[b * ldy + j] = 0;
		return;
	}
	T *g = gates + (i64)b * 4 * H + j;
	T ai = g[0], af = g[H], ag = g[2 * H], ao = g[3 * H];
	if (bias) {
		ai += bias[j];
		af += bias[H + j];
		ag += bias[2 * H + j];
		ao += bias[3 * H + j];
	}
	const T i = sigmoid_(ai), f = sigmoid_(af), gg = tanh_(ag), o = sigmoid_(ao);
	const T cv = f * cPrev[idx] + i * gg;
	const T hv = o * tanh_(cv);
	g[0] = i;
	g[H] = f;
	g[2 * H] = gg;
	g[3 * H] = o;
	c[idx] = cv;
	h[idx] = hv;
	if (y) y[b * ldy + j] = hv;
}

template <typename T>
__device__ __forceinline__ void lstm_bwd(int B, int H, T *dgates, T *dcPrev, T *dhPrev, const T *gates,
                                         const T *cPrev, const T *c, const T *dy, i64 ldy, const T *dh, const T *dc,
                                         const T *pad) {
	const i64 idx = (i64)blockIdx.x * blockDim.x + threadIdx.x;
	if (idx >= (i64)B * H) return;
	const int b = (int)(idx / H), j = (int)(idx - (i64)b * H);
	T *dg = dgates + (i64)b * 4 * H + j;
	if (pad && pad[b] != T(0)) { // gradients pass through a step that did not happen
		const T dcv = dc[idx], dhv = dh[idx];
		dcPrev[idx] = dcv;
		dhPrev[idx] = dhv;
		dg[0] = 0;
		dg[H] = 0;
		dg[2 * H] = 0;
		dg[3 * H] = 0;
		return;
	}
	const T *g = gates + (i64)b * 4 * H + j;
	const T i = g[0], f = g[H], gg = g[2 * H], o = g[3 * H];
	const T tc = tanh_(c[idx]);
	T dhv = dh[idx];
	if (dy) dhv += dy[b * ldy + j];
	const T dcv = dc[idx] + dhv * o * (T(1) - tc * tc);
	const T cpv = cPrev[idx];
	dg[0] = dcv * gg * i * (T(1) - i);
	dg[H] = dcv * cpv * f * (T(1) - f);
	dg[2 * H] = dcv * i * (T(1) - gg * gg);
	dg[3 * H] = dhv * tc * o * (T(1) - o);
	dcPrev[idx] = dcv * f;
	dhPrev[idx] = 0;
}

#define LSTM_KERNELS(T, S)                                                                                       \
	extern "C" __global__ void lstm_fwd_##S(int B, int H, T *gates, const T *bias, const T *cPrev, const T *hPrev, \
	                                        T *c, T *h, T *y, i64 ldy, const T *pad) {                           \
		lstm_fwd<T>(B, H, gates, bias, cPrev, hPrev, c, h, y, ldy, pad);                                         \
	}                                                                                                            \
	extern "C" __global__ void lstm_bwd_##S(int B, int H, T *dgates, T *dcPrev, T *dhPrev, const T *gates,       \
	                                        const T *cPrev, const T *c, const T *dy, i64 ldy, const T *dh,       \
	                                        const T *dc, const T *pad) {                                         \
		lstm_bwd<T>(B, H, dgates, dcPrev, dhPrev, gates, cPrev, c, dy, ldy, dh, dc, pad);                        \
	}
