// The vector kernels, written once as plain loops over independent elements and compiled once
// per instruction set by vec_amd64.c, which includes this file after setting the target and
// the name suffix VEC(name). Every loop body is branch-free (selects, no data-dependent
// branches) so that the compiler vectorises it across columns: 8 lanes with AVX2, 16 with
// AVX-512; the tails (widths that are not a multiple of the vector) run as a shorter vector or
// scalar epilogue. The arithmetic is the pure-Go kernels' (cpu_sru.go, cpu_lstm.go, cpu_nn.go,
// mathf.go) element for element; only the rounding of fused multiply-adds differs.

// VEC(exp) is e^x in float32, the algorithm of exp32 in mathf.go.
static inline __attribute__((always_inline)) float VEC(exp)(float x) {
	const float log2e = 1.44269504088896341f, ln2hi = 0.693359375f, ln2lo = -2.12194440e-4f;
	const float magic = 12582912.0f; // 1.5·2^23
	float xc = x < -104.0f ? -104.0f : x; // NaN passes both clamps
	xc = xc > 89.0f ? 89.0f : xc;
	float t = xc * log2e + magic;
	float nf = t - magic;
	union { float f; uint32_t u; int32_t i; } tb = {t}, s1, s2;
	int32_t n = (int32_t)(tb.u - 0x4B400000u);
	float r = xc - nf * ln2hi - nf * ln2lo;
	float p = 1.9875691500e-4f;
	p = p * r + 1.3981999507e-3f;
	p = p * r + 8.3334519073e-3f;
	p = p * r + 4.1665795894e-2f;
	p = p * r + 1.6666665459e-1f;
	p = p * r + 5.0000001201e-1f;
	int32_t n1 = n >> 1, n2 = n - n1; // 2^n = 2^n1·2^n2, both normal for n in [−150, 128]
	s1.u = (uint32_t)(n1 + 127) << 23;
	s2.u = (uint32_t)(n2 + 127) << 23;
	return (p * r * r + r + 1.0f) * s1.f * s2.f;
}

// VEC(sigmoid): 1/(1+e^−|x|) above 0, e^−|x|/(1+e^−|x|) below (sigmoidT in mathf.go).
static inline __attribute__((always_inline)) float VEC(sigmoid)(float x) {
	float e = VEC(exp)(-__builtin_fabsf(x));
	return (x < 0.0f ? e : 1.0f) / (1.0f + e);
}

// VEC(tanh): an odd polynomial below |x| = 0.625, 1 − 2/(e^{2|x|}+1) with the sign of x above
// (tanhT in mathf.go).
static inline __attribute__((always_inline)) float VEC(tanh)(float x) {
	float ax = __builtin_fabsf(x);
	float z = x * x;
	float p = -5.718891508877277e-3f;
	p = p * z + 2.065306343138218e-2f;
	p = p * z - 5.3744640201330185e-2f;
	p = p * z + 1.3331513106822968e-1f;
	p = p * z - 3.333328664302826e-1f;
	float small = x + x * z * p;
	float big = __builtin_copysignf(1.0f - 2.0f / (VEC(exp)(2.0f * ax) + 1.0f), x);
	return ax < 0.625f ? small : big;
}

void VEC(gosru_exp)(float *restrict y, const float *restrict x, long n) {
	for (long i = 0; i < n; i++) y[i] = VEC(exp)(x[i]);
}

void VEC(gosru_sigmoid)(float *restrict y, const float *restrict x, long n) {
	for (long i = 0; i < n; i++) y[i] = VEC(sigmoid)(x[i]);
}

void VEC(gosru_tanh)(float *restrict y, const float *restrict x, long n) {
	for (long i = 0; i < n; i++) y[i] = VEC(tanh)(x[i]);
}

// ---- SRU recurrence (cpu_sru.go) ----

// VEC(prefetch_cols) asks for columns [c0, c1) of a row of n-float columns ahead of use. The
// forward asks for the next batch row's U while it steps the current one: the first load of a
// row's U stalled most, and one direction of a bidirectional layer reads short runs (H
// columns) at the stride of a full row. Measured (CPU time, one thread, under load): the
// forward 10–18% faster at H = 64, two directions, 4–10% at 256–512 columns. The backward
// gained nothing from it (tried for U alone and for U, C, F, R and dh).
static inline __attribute__((always_inline)) void VEC(prefetch_cols)(
	const float *row, long c0, long c1, long n) {
	const char *p = (const char *)(row + c0 * n), *end = (const char *)(row + c1 * n);
	for (; p < end; p += 64) __builtin_prefetch(p);
}

// sru_fwd_row steps columns [c0, c1) of one (t, b) row. The flags are constants at every call
// site, so each combination compiles to its own vector loop.
static inline __attribute__((always_inline)) void VEC(sru_fwd_row)(
	long c0, long c1, const float *restrict u, const float *restrict x,
	const float *restrict vf, const float *restrict vr, const float *restrict bf,
	const float *restrict br, const float *restrict m, float *restrict h, float *restrict c,
	float *restrict s, float *restrict fo, float *restrict ro, float alpha,
	const int K, const int TANH, const int SKIP, const int SAVED) {
#pragma GCC ivdep
	for (long col = c0; col < c1; col++) {
		float u0 = u[col * K], u1 = u[col * K + 1], u2 = u[col * K + 2];
		float cp = s[col];
		float f = VEC(sigmoid)(u1 + vf[col] * cp + bf[col]);
		float r = VEC(sigmoid)(u2 + vr[col] * cp + br[col]);
		if (SAVED) {
			fo[col] = f;
			ro[col] = r;
		}
		float cv = (cp - u0) * f + u0;
		float g = TANH ? VEC(tanh)(cv) : cv;
		float hv;
		if (!SKIP) {
			hv = g * m[col] * r;
		} else {
			float xp = K == 3 ? alpha * x[col] : u[col * K + 3];
			hv = (g - xp) * m[col] * r + xp;
		}
		s[col] = cv;
		c[col] = cv;
		h[col] = hv;
	}
}

static inline __attribute__((always_inline)) void VEC(sru_fwd_cols)(
	long L, long B, long out, int dir, long c0, long c1, long b0, long b1, const float *U,
	const float *X,
	const float *WC, const float *BI, const float *C0, const float *pad, const float *mask,
	long mstride, float *Y, float *C, float *S, float *F, float *R, float alpha,
	const int K, const int TANH, const int SKIP, const int SAVED) {
	for (long b = b0; b < b1; b++) {
		for (long col = c0; col < c1; col++) S[b * out + col] = C0 ? C0[b * out + col] : 0.0f;
	}
	for (long step = 0; step < L; step++) {
		long t = dir == 1 ? L - 1 - step : step;
		for (long b = b0; b < b1; b++) {
			long row = t * B + b;
			float *h = Y + row * out, *c = C + row * out, *s = S + b * out;
			if (pad && pad[row] != 0) {
				for (long col = c0; col < c1; col++) {
					h[col] = 0;
					c[col] = s[col];
				}
				continue;
			}
			if (b + 1 < b1) VEC(prefetch_cols)(U + (row + 1) * out * K, c0, c1, K);
			VEC(sru_fwd_row)(c0, c1, U + row * out * K, (SKIP && K == 3) ? X + row * out : 0,
				WC, WC + out, BI, BI + out, mask + b * mstride, h, c, s,
				SAVED ? F + row * out : 0, SAVED ? R + row * out : 0, alpha, K, TANH, SKIP, SAVED);
		}
	}
}

// sru_bwd_row differentiates columns [c0, c1) of one (t, b) row; gc is the running dL/dc.
static inline __attribute__((always_inline)) void VEC(sru_bwd_row)(
	long c0, long c1, const float *restrict u, const float *restrict x,
	const float *restrict vf, const float *restrict vr, const float *restrict bf,
	const float *restrict br, const float *restrict m, const float *restrict cprev,
	const float *restrict crow, const float *restrict fs, const float *restrict rs,
	const float *restrict gh, float *restrict gc, float *restrict gu, float *restrict gx,
	float *restrict gbf, float *restrict gbr, float *restrict gvf, float *restrict gvr,
	float alpha, const int K, const int TANH, const int SKIP, const int SAVED) {
#pragma GCC ivdep
	for (long col = c0; col < c1; col++) {
		float u0 = u[col * K];
		float cp = cprev[col];
		float f, r;
		if (SAVED) {
			f = fs[col];
			r = rs[col];
		} else {
			f = VEC(sigmoid)(u[col * K + 1] + vf[col] * cp + bf[col]);
			r = VEC(sigmoid)(u[col * K + 2] + vr[col] * cp + br[col]);
		}
		float cv = crow[col];
		float gval = cv, dact = 1.0f;
		if (TANH) {
			gval = VEC(tanh)(cv);
			dact = 1.0f - gval * gval;
		}
		float mv = m[col];
		float xp = 0.0f;
		if (SKIP) xp = K == 3 ? alpha * x[col] : u[col * K + 3];
		float ghv = gh[col];
		float gr = ghv * (gval - xp) * mv * r * (1.0f - r);
		float dc = gc[col] + ghv * mv * r * dact;
		float gf = dc * (cp - u0) * f * (1.0f - f);
		gu[col * K] = dc * (1.0f - f);
		gu[col * K + 1] = gf;
		gu[col * K + 2] = gr;
		if (SKIP) {
			float dxp = ghv * (1.0f - mv * r);
			if (K == 3) {
				gx[col] = alpha * dxp;
			} else {
				gu[col * K + 3] = dxp;
			}
		}
		gbf[col] += gf;
		gbr[col] += gr;
		gvf[col] += gf * cp;
		gvr[col] += gr * cp;
		gc[col] = dc * f + gf * vf[col] + gr * vr[col];
	}
}

static inline __attribute__((always_inline)) void VEC(sru_bwd_cols)(
	long L, long B, long out, int dir, long c0, long c1, long b0, long b1, const float *U,
	const float *X,
	const float *WC, const float *BI, const float *C0, const float *zeros, const float *pad,
	const float *mask, long mstride, const float *C, const float *F, const float *R,
	const float *GY, const float *GCL, float *GU, float *GX, float *GC, float *GB, float *GWC,
	float alpha, const int K, const int TANH, const int SKIP, const int SAVED) {
	for (long b = b0; b < b1; b++) {
		for (long col = c0; col < c1; col++) GC[b * out + col] = GCL ? GCL[b * out + col] : 0.0f;
	}
	for (long step = 0; step < L; step++) {
		long t = L - 1 - step, prevT = t - 1;
		if (dir == 1) {
			t = step;
			prevT = t + 1;
		}
		for (long b = b0; b < b1; b++) {
			long row = t * B + b;
			float *gu = GU + row * out * K;
			float *gx = (SKIP && K == 3) ? GX + row * out : 0;
			if (pad && pad[row] != 0) {
				for (long i = c0 * K; i < c1 * K; i++) gu[i] = 0;
				if (gx) {
					for (long col = c0; col < c1; col++) gx[col] = 0;
				}
				continue;
			}
			const float *cprev = zeros;
			if (prevT >= 0 && prevT < L) {
				cprev = C + (prevT * B + b) * out;
			} else if (C0) {
				cprev = C0 + b * out;
			}
			VEC(sru_bwd_row)(c0, c1, U + row * out * K, (SKIP && K == 3) ? X + row * out : 0,
				WC, WC + out, BI, BI + out, mask + b * mstride, cprev, C + row * out,
				SAVED ? F + row * out : 0, SAVED ? R + row * out : 0, GY + row * out,
				GC + b * out, gu, gx, GB, GB + out, GWC, GWC + out, alpha, K, TANH, SKIP, SAVED);
		}
	}
}

// The exported entry points pick the compiled combination of (K, tanh, skip, saved).
#define SRU_CASES(CALL)                                                                       \
	switch ((K == 4) << 3 | (tanh_ != 0) << 2 | (skip != 0) << 1 | (F != 0)) {           \
	case 0: CALL(3, 0, 0, 0); break;                                                     \
	case 1: CALL(3, 0, 0, 1); break;                                                     \
	case 2: CALL(3, 0, 1, 0); break;                                                     \
	case 3: CALL(3, 0, 1, 1); break;                                                     \
	case 4: CALL(3, 1, 0, 0); break;                                                     \
	case 5: CALL(3, 1, 0, 1); break;                                                     \
	case 6: CALL(3, 1, 1, 0); break;                                                     \
	case 7: CALL(3, 1, 1, 1); break;                                                     \
	case 8: CALL(4, 0, 0, 0); break;                                                     \
	case 9: CALL(4, 0, 0, 1); break;                                                     \
	case 10: CALL(4, 0, 1, 0); break;                                                    \
	case 11: CALL(4, 0, 1, 1); break;                                                    \
	case 12: CALL(4, 1, 0, 0); break;                                                    \
	case 13: CALL(4, 1, 0, 1); break;                                                    \
	case 14: CALL(4, 1, 1, 0); break;                                                    \
	case 15: CALL(4, 1, 1, 1); break;                                                    \
	}

void VEC(gosru_sru_fwd)(long L, long B, long out, int K, int tanh_, int skip, int dir, long c0,
	long c1, long b0, long b1, const float *U, const float *X, const float *WC, const float *BI, const float *C0,
	const float *pad, const float *mask, long mstride, float *Y, float *C, float *S, float *F,
	float *R, float alpha) {
#define FWD(k, th, sk, sv)                                                                 \
	VEC(sru_fwd_cols)(L, B, out, dir, c0, c1, b0, b1, U, X, WC, BI, C0, pad, mask, mstride, Y, C, S, \
		F, R, alpha, k, th, sk, sv)
	SRU_CASES(FWD)
#undef FWD
}

void VEC(gosru_sru_bwd)(long L, long B, long out, int K, int tanh_, int skip, int dir, long c0,
	long c1, long b0, long b1, const float *U, const float *X, const float *WC, const float *BI, const float *C0,
	const float *zeros, const float *pad, const float *mask, long mstride, const float *C,
	const float *F, const float *R, const float *GY, const float *GCL, float *GU, float *GX,
	float *GC, float *GB, float *GWC, float alpha) {
#define BWD(k, th, sk, sv)                                                                 \
	VEC(sru_bwd_cols)(L, B, out, dir, c0, c1, b0, b1, U, X, WC, BI, C0, zeros, pad, mask, mstride, C, \
		F, R, GY, GCL, GU, GX, GC, GB, GWC, alpha, k, th, sk, sv)
	SRU_CASES(BWD)
#undef BWD
}
#undef SRU_CASES

// ---- LSTM cell (cpu_lstm.go) ----

// The gate blocks are activated in place; outputs may alias inputs element for element (the
// pure-Go kernel's rule), hence ivdep rather than restrict.
static inline __attribute__((always_inline)) void VEC(lstm_fwd_seg)(long n, float *gi, float *gf,
	float *gg, float *go, const float *bi, const float *bf, const float *bg, const float *bo,
	const float *cp, float *c, float *h, const int BIAS) {
#pragma GCC ivdep
	for (long j = 0; j < n; j++) {
		float ai = gi[j], af = gf[j], ag = gg[j], ao = go[j];
		if (BIAS) {
			ai += bi[j];
			af += bf[j];
			ag += bg[j];
			ao += bo[j];
		}
		float i = VEC(sigmoid)(ai), f = VEC(sigmoid)(af), g = VEC(tanh)(ag), o = VEC(sigmoid)(ao);
		gi[j] = i;
		gf[j] = f;
		gg[j] = g;
		go[j] = o;
		float cv = f * cp[j] + i * g;
		c[j] = cv;
		h[j] = o * VEC(tanh)(cv);
	}
}

void VEC(gosru_lstm_fwd)(long n, float *gi, float *gf, float *gg, float *go, const float *bi,
	const float *bf, const float *bg, const float *bo, const float *cp, float *c, float *h,
	float *y) {
	if (bi) {
		VEC(lstm_fwd_seg)(n, gi, gf, gg, go, bi, bf, bg, bo, cp, c, h, 1);
	} else {
		VEC(lstm_fwd_seg)(n, gi, gf, gg, go, 0, 0, 0, 0, cp, c, h, 0);
	}
	if (y) {
		for (long j = 0; j < n; j++) y[j] = h[j];
	}
}

static inline __attribute__((always_inline)) void VEC(lstm_bwd_seg)(long n, float *dgi,
	float *dgf, float *dgg, float *dgo, float *dcp, float *dhp, const float *gi, const float *gf,
	const float *gg, const float *og, const float *cp, const float *c, const float *dy,
	const float *dh, const float *dc, const int DY) {
#pragma GCC ivdep
	for (long j = 0; j < n; j++) {
		float i = gi[j], f = gf[j], g = gg[j], o = og[j];
		float tc = VEC(tanh)(c[j]);
		float dhv = dh[j];
		if (DY) dhv += dy[j];
		float dcv = dc[j] + dhv * o * (1.0f - tc * tc);
		float cpv = cp[j];
		dgi[j] = dcv * g * i * (1.0f - i);
		dgf[j] = dcv * cpv * f * (1.0f - f);
		dgg[j] = dcv * i * (1.0f - g * g);
		dgo[j] = dhv * tc * o * (1.0f - o);
		dcp[j] = dcv * f;
		dhp[j] = 0.0f;
	}
}

void VEC(gosru_lstm_bwd)(long n, float *dgi, float *dgf, float *dgg, float *dgo, float *dcp,
	float *dhp, const float *gi, const float *gf, const float *gg, const float *og,
	const float *cp, const float *c, const float *dy, const float *dh, const float *dc) {
	if (dy) {
		VEC(lstm_bwd_seg)(n, dgi, dgf, dgg, dgo, dcp, dhp, gi, gf, gg, og, cp, c, dy, dh, dc, 1);
	} else {
		VEC(lstm_bwd_seg)(n, dgi, dgf, dgg, dgo, dcp, dhp, gi, gf, gg, og, cp, c, 0, dh, dc, 0);
	}
}

// ---- softmax rows (cpu_nn.go) ----

// VEC(gosru_max_expsum) returns the maximum m of a row and Σ e^{x−m} (logSoftmaxRow).
gosru_max_sum VEC(gosru_max_expsum)(const float *restrict x, long n) {
	float m = x[0];
#pragma omp simd reduction(max : m)
	for (long i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
	float s = 0.0f;
#pragma omp simd reduction(+ : s)
	for (long i = 0; i < n; i++) s += VEC(exp)(x[i] - m);
	gosru_max_sum r = {m, s};
	return r;
}

// VEC(gosru_sub_const): y = x − a.
void VEC(gosru_sub_const)(float *restrict y, const float *restrict x, long n, float a) {
	for (long i = 0; i < n; i++) y[i] = x[i] - a;
}

// VEC(gosru_add_scaled_exp): y += a·e^x + b.
void VEC(gosru_add_scaled_exp)(float *restrict y, const float *restrict x, long n, float a,
	float b) {
	for (long i = 0; i < n; i++) y[i] += a * VEC(exp)(x[i]) + b;
}

// VEC(gosru_log_softmax_bwd_row): dx += dy − e^y·Σdy.
void VEC(gosru_log_softmax_bwd_row)(float *restrict dx, const float *restrict y,
	const float *restrict dy, long n) {
	float s = 0.0f;
#pragma omp simd reduction(+ : s)
	for (long i = 0; i < n; i++) s += dy[i];
	for (long i = 0; i < n; i++) dx[i] += dy[i] - VEC(exp)(y[i]) * s;
}
