//go:build cgo && amd64

package kernels

/*
#cgo CFLAGS: -O3 -fopenmp-simd

typedef struct {
	float max, sum;
} gosru_max_sum;

#define GOSRU_DECL(S)                                                                          \
	void gosru_exp_##S(float *y, const float *x, long n);                                   \
	void gosru_sigmoid_##S(float *y, const float *x, long n);                               \
	void gosru_tanh_##S(float *y, const float *x, long n);                                  \
	void gosru_sru_fwd_##S(long L, long B, long out, int K, int tanh_, int skip, int dir,   \
		long c0, long c1, long b0, long b1, const float *U, const float *X,                 \
		const float *WC, const float *BI,                                                   \
		const float *C0, const float *pad, const float *mask, long mstride, float *Y,       \
		float *C, float *S, float *F, float *R, float alpha);                               \
	void gosru_sru_bwd_##S(long L, long B, long out, int K, int tanh_, int skip, int dir,   \
		long c0, long c1, long b0, long b1, const float *U, const float *X,                 \
		const float *WC, const float *BI,                                                   \
		const float *C0, const float *zeros, const float *pad, const float *mask,           \
		long mstride, const float *C, const float *F, const float *R, const float *GY,      \
		const float *GCL, float *GU, float *GX, float *GC, float *GB, float *GWC,            \
		float alpha);                                                                       \
	void gosru_lstm_fwd_##S(long n, float *gi, float *gf, float *gg, float *go,             \
		const float *bi, const float *bf, const float *bg, const float *bo,                 \
		const float *cp, float *c, float *h, float *y);                                     \
	void gosru_lstm_bwd_##S(long n, float *dgi, float *dgf, float *dgg, float *dgo,         \
		float *dcp, float *dhp, const float *gi, const float *gf, const float *gg,          \
		const float *og, const float *cp, const float *c, const float *dy,                  \
		const float *dh, const float *dc);                                                  \
	gosru_max_sum gosru_max_expsum_##S(const float *x, long n);                             \
	void gosru_sub_const_##S(float *y, const float *x, long n, float a);                    \
	void gosru_add_scaled_exp_##S(float *y, const float *x, long n, float a, float b);      \
	void gosru_log_softmax_bwd_row_##S(float *dx, const float *y, const float *dy, long n);

GOSRU_DECL(avx2)
GOSRU_DECL(avx512)

// One entry per kernel: the level (1 AVX2, 2 AVX-512) picks the compiled form.
#define GOSRU_PICK(lvl, name, ...) \
	if (lvl == 2) name##_avx512(__VA_ARGS__); else name##_avx2(__VA_ARGS__)

static void gosru_unary(int lvl, int op, float *y, const float *x, long n) {
	switch (op) {
	case 0: GOSRU_PICK(lvl, gosru_exp, y, x, n); break;
	case 1: GOSRU_PICK(lvl, gosru_sigmoid, y, x, n); break;
	default: GOSRU_PICK(lvl, gosru_tanh, y, x, n); break;
	}
}

static void gosru_sru_fwd(int lvl, long L, long B, long out, int K, int tanh_, int skip, int dir,
	long c0, long c1, long b0, long b1, const float *U, const float *X, const float *WC,
	const float *BI,
	const float *C0, const float *pad, const float *mask, long mstride, float *Y, float *C,
	float *S, float *F, float *R, float alpha) {
	GOSRU_PICK(lvl, gosru_sru_fwd, L, B, out, K, tanh_, skip, dir, c0, c1, b0, b1, U, X, WC, BI, C0, pad,
		mask, mstride, Y, C, S, F, R, alpha);
}

static void gosru_sru_bwd(int lvl, long L, long B, long out, int K, int tanh_, int skip, int dir,
	long c0, long c1, long b0, long b1, const float *U, const float *X, const float *WC,
	const float *BI,
	const float *C0, const float *zeros, const float *pad, const float *mask, long mstride,
	const float *C, const float *F, const float *R, const float *GY, const float *GCL,
	float *GU, float *GX, float *GC, float *GB, float *GWC, float alpha) {
	GOSRU_PICK(lvl, gosru_sru_bwd, L, B, out, K, tanh_, skip, dir, c0, c1, b0, b1, U, X, WC, BI, C0,
		zeros, pad, mask, mstride, C, F, R, GY, GCL, GU, GX, GC, GB, GWC, alpha);
}

static void gosru_lstm_fwd(int lvl, long n, float *gi, float *gf, float *gg, float *go,
	const float *bi, const float *bf, const float *bg, const float *bo, const float *cp,
	float *c, float *h, float *y) {
	GOSRU_PICK(lvl, gosru_lstm_fwd, n, gi, gf, gg, go, bi, bf, bg, bo, cp, c, h, y);
}

static void gosru_lstm_bwd(int lvl, long n, float *dgi, float *dgf, float *dgg, float *dgo,
	float *dcp, float *dhp, const float *gi, const float *gf, const float *gg, const float *og,
	const float *cp, const float *c, const float *dy, const float *dh, const float *dc) {
	GOSRU_PICK(lvl, gosru_lstm_bwd, n, dgi, dgf, dgg, dgo, dcp, dhp, gi, gf, gg, og, cp, c, dy,
		dh, dc);
}

static gosru_max_sum gosru_max_expsum(int lvl, const float *x, long n) {
	return lvl == 2 ? gosru_max_expsum_avx512(x, n) : gosru_max_expsum_avx2(x, n);
}

static void gosru_sub_const(int lvl, float *y, const float *x, long n, float a) {
	GOSRU_PICK(lvl, gosru_sub_const, y, x, n, a);
}

static void gosru_add_scaled_exp(int lvl, float *y, const float *x, long n, float a, float b) {
	GOSRU_PICK(lvl, gosru_add_scaled_exp, y, x, n, a, b);
}

static void gosru_log_softmax_bwd_row(int lvl, float *dx, const float *y, const float *dy, long n) {
	GOSRU_PICK(lvl, gosru_log_softmax_bwd_row, dx, y, dy, n);
}
*/
import "C"

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// vecMaxLevel is the widest compiled path the processor can run.
func vecMaxLevel() vecISA {
	switch {
	case cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL &&
		cpu.X86.HasFMA:
		return vecAVX512
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return vecAVX2
	}
	return vecGo
}

// fp is the C pointer to a slice's first element; nil for an empty slice.
func fp(s []float32) *C.float {
	if len(s) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(unsafe.SliceData(s)))
}

func lvl() C.int { return C.int(vecLevel) }

// vecUnary applies op (0 exp, 1 sigmoid, 2 tanh) to x into y.
func vecUnary(op int, y, x []float32) {
	C.gosru_unary(lvl(), C.int(op), fp(y), fp(x[:len(y)]), C.long(len(y)))
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// maskRows is the h dropout mask of a with its row stride, or the row of ones with stride 0
// that stands for an absent mask.
func maskRows[T Float](a *SRUArgs[T], ones []T) ([]T, int) {
	if mask := a.Mask.Host(); mask != nil {
		return mask, a.Out()
	}
	return ones, 0
}

// vecSRUForward runs columns [c0, c1) of batch rows [b0, b1) of direction dir
// (sruForwardCols); ones is a row of out ones that stands for an absent mask.
func vecSRUForward[T Float](a *SRUArgs[T], ones []T, dir, c0, c1, b0, b1 int) {
	out := a.Out()
	mask, mstride := maskRows(a, ones)
	C.gosru_sru_fwd(lvl(), C.long(a.L), C.long(a.B), C.long(out), C.int(a.K), cbool(a.Tanh),
		cbool(a.Skip), C.int(dir), C.long(c0), C.long(c1), C.long(b0), C.long(b1),
		fp(f32s(a.U.Host())), fp(f32s(a.X.Host())), fp(f32s(a.WeightC.Host())), fp(f32s(a.Bias.Host())),
		fp(f32s(a.C0.Host())), fp(f32s(a.Pad.Host())), fp(f32s(mask)), C.long(mstride),
		fp(f32s(a.Y.Host())), fp(f32s(a.C.Host())), fp(f32s(a.CLast.Host())),
		fp(f32s(a.F.Host())), fp(f32s(a.R.Host())), C.float(a.Alpha))
}

// vecSRUBackward runs columns [c0, c1) of batch rows [b0, b1) of direction dir backwards
// (sruBackwardCols): gc is the running dL/dc, zeros and ones rows of out, and the bias and
// weight_c gradients of these rows and columns are added to gb and gwc ([2·out] each).
func vecSRUBackward[T Float](a *SRUArgs[T], g *SRUGrads[T], gc, zeros, ones, gb, gwc []T, dir, c0, c1, b0, b1 int) {
	out := a.Out()
	mask, mstride := maskRows(a, ones)
	C.gosru_sru_bwd(lvl(), C.long(a.L), C.long(a.B), C.long(out), C.int(a.K), cbool(a.Tanh),
		cbool(a.Skip), C.int(dir), C.long(c0), C.long(c1), C.long(b0), C.long(b1),
		fp(f32s(a.U.Host())), fp(f32s(a.X.Host())), fp(f32s(a.WeightC.Host())), fp(f32s(a.Bias.Host())),
		fp(f32s(a.C0.Host())), fp(f32s(zeros)), fp(f32s(a.Pad.Host())), fp(f32s(mask)), C.long(mstride),
		fp(f32s(a.C.Host())), fp(f32s(a.F.Host())), fp(f32s(a.R.Host())),
		fp(f32s(g.GY.Host())), fp(f32s(g.GCLast.Host())), fp(f32s(g.GU.Host())), fp(f32s(g.GX.Host())),
		fp(f32s(gc)), fp(f32s(gb)), fp(f32s(gwc)), C.float(a.Alpha))
}

// vecLSTMForwardSeg is lstmForwardSeg on the vector path.
func vecLSTMForwardSeg[T Float](gi, gf, gg, og, bias []T, H, j0 int, cp, c, h, y []T) {
	n := len(gi)
	var bi, bf, bg, bo []T
	if bias != nil {
		bi, bf, bg, bo = bias[j0:j0+n], bias[H+j0:H+j0+n], bias[2*H+j0:2*H+j0+n], bias[3*H+j0:3*H+j0+n]
	}
	if y != nil {
		y = y[:n]
	}
	C.gosru_lstm_fwd(lvl(), C.long(n), fp(f32s(gi)), fp(f32s(gf[:n])), fp(f32s(gg[:n])), fp(f32s(og[:n])),
		fp(f32s(bi)), fp(f32s(bf)), fp(f32s(bg)), fp(f32s(bo)),
		fp(f32s(cp[:n])), fp(f32s(c[:n])), fp(f32s(h[:n])), fp(f32s(y)))
}

// vecLSTMBackwardSeg is lstmBackwardSeg on the vector path.
func vecLSTMBackwardSeg[T Float](dgi, dgf, dgg, dgo, dcp, dhp, gi, gf, gg, og, cp, c, dy, dh, dc []T) {
	n := len(dgi)
	if dy != nil {
		dy = dy[:n]
	}
	C.gosru_lstm_bwd(lvl(), C.long(n), fp(f32s(dgi)), fp(f32s(dgf[:n])), fp(f32s(dgg[:n])), fp(f32s(dgo[:n])),
		fp(f32s(dcp[:n])), fp(f32s(dhp[:n])), fp(f32s(gi[:n])), fp(f32s(gf[:n])), fp(f32s(gg[:n])),
		fp(f32s(og[:n])), fp(f32s(cp[:n])), fp(f32s(c[:n])), fp(f32s(dy)), fp(f32s(dh[:n])), fp(f32s(dc[:n])))
}

// vecMaxExpSum returns max(x) and Σ e^{x−max}.
func vecMaxExpSum(x []float32) (m, s float32) {
	r := C.gosru_max_expsum(lvl(), fp(x), C.long(len(x)))
	return float32(r.max), float32(r.sum)
}

// vecSubConst sets y = x − a.
func vecSubConst(y, x []float32, a float32) {
	C.gosru_sub_const(lvl(), fp(y), fp(x[:len(y)]), C.long(len(y)), C.float(a))
}

// vecAddScaledExp adds a·e^x + b to y.
func vecAddScaledExp(y, x []float32, a, b float32) {
	C.gosru_add_scaled_exp(lvl(), fp(y), fp(x[:len(y)]), C.long(len(y)), C.float(a), C.float(b))
}

// vecLogSoftmaxBwdRow adds dy − e^y·Σdy to dx.
func vecLogSoftmaxBwdRow(dx, y, dy []float32) {
	n := len(dx)
	C.gosru_log_softmax_bwd_row(lvl(), fp(dx), fp(y[:n]), fp(dy[:n]), C.long(n))
}
