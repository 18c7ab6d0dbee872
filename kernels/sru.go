package kernels

import "fmt"

// SRUKernels is the fused SRU recurrence: the only sequential part of an SRU layer. One call
// runs every direction and every column (b, dir, unit) of one layer over all L steps.
type SRUKernels[T Float] interface {
	SRUForward(a *SRUArgs[T])
	// SRUBackward needs the forward's arguments (the same U, X, C, ...) and the gradients.
	SRUBackward(a *SRUArgs[T], g *SRUGrads[T])
}

// SRUArgs are the inputs and outputs of the SRU recurrence of one layer. out = Dirs·H.
// Column col = dir·H + unit. The equations are in docs/SRU-MATH.md.
type SRUArgs[T Float] struct {
	L, B, H, Dirs int
	K             int  // weight blocks per column: 3, or 4 when the skip term has its own block
	Tanh          bool // activation g: tanh, else identity
	Skip          bool // has_skip_term
	Alpha         T    // highway scale α applied to X (K = 3 with Skip)

	U       Buf[T] // [L, B, out·K]: block m of column col at col·K + m
	X       Buf[T] // [L, B, out]: raw layer input, read when K = 3 and Skip
	WeightC Buf[T] // [2·out] = [v_f | v_r]
	Bias    Buf[T] // [2·out] = [b_f | b_r]
	C0      Buf[T] // [B, out] initial state; nil = zeros
	Pad     Buf[T] // [L, B]: 1 = padding; nil = no padding
	Mask    Buf[T] // [B, out]: dropout mask on h (scaled); nil = no dropout

	Y     Buf[T] // out [L, B, out]: h; 0 at padded positions
	C     Buf[T] // out [L, B, out]: c after every step (carried over at padding)
	CLast Buf[T] // out [B, out]: the final state of each direction

	// F and R ([L, B, out], optional, both or neither) keep the forget and highway gates: the
	// forward writes them and the backward reads them instead of recomputing two sigmoids per
	// element. Pass them when a backward will follow (training); leave them nil otherwise.
	F, R Buf[T]
}

// SRUGrads are the gradients flowing into and out of SRUBackward.
type SRUGrads[T Float] struct {
	GY     Buf[T] // in [L, B, out]
	GCLast Buf[T] // in [B, out]; nil = zero

	GU       Buf[T] // out [L, B, out·K] (overwritten)
	GX       Buf[T] // out [L, B, out]: the skip term's α·dx' (K = 3 and Skip; overwritten)
	GC0      Buf[T] // out [B, out] (overwritten); may be nil
	GWeightC Buf[T] // accumulate [2·out]; nil to skip (v1)
	GBias    Buf[T] // accumulate [2·out]
}

// Out is the layer's output width Dirs·H.
func (a *SRUArgs[T]) Out() int { return a.Dirs * a.H }

// Check panics when the arguments are inconsistent (every device calls it before launching).
func (a *SRUArgs[T]) Check() {
	out := a.Out()
	n := a.L * a.B
	if a.K != 3 && a.K != 4 {
		panic("kernels: SRU K must be 3 or 4")
	}
	if a.Dirs != 1 && a.Dirs != 2 {
		panic("kernels: SRU Dirs must be 1 or 2")
	}
	if a.L < 0 || a.B < 0 || a.H < 0 {
		panic(fmt.Sprintf("kernels: SRU with L=%d, B=%d, H=%d", a.L, a.B, a.H))
	}
	mustLen("SRU U", a.U, n*out*a.K)
	if a.K == 3 && a.Skip {
		mustLen("SRU X", a.X, n*out)
	}
	mustLen("SRU WeightC", a.WeightC, 2*out)
	mustLen("SRU Bias", a.Bias, 2*out)
	mustLenOpt("SRU C0", a.C0, a.B*out)
	mustLenOpt("SRU Pad", a.Pad, n)
	mustLenOpt("SRU Mask", a.Mask, a.B*out)
	mustLen("SRU Y", a.Y, n*out)
	mustLen("SRU C", a.C, n*out)
	mustLen("SRU CLast", a.CLast, a.B*out)
	mustLenOpt("SRU F", a.F, n*out)
	mustLenOpt("SRU R", a.R, n*out)
	if a.F.IsNil() != a.R.IsNil() {
		panic("kernels: SRU F and R must be given together")
	}
}

// Check panics when the gradients do not fit the arguments a.
func (g *SRUGrads[T]) Check(a *SRUArgs[T]) {
	out := a.Out()
	n := a.L * a.B
	mustLen("SRU GY", g.GY, n*out)
	mustLenOpt("SRU GCLast", g.GCLast, a.B*out)
	mustLen("SRU GU", g.GU, n*out*a.K)
	if a.K == 3 && a.Skip {
		mustLen("SRU GX", g.GX, n*out)
	}
	mustLenOpt("SRU GC0", g.GC0, a.B*out)
	mustLenOpt("SRU GWeightC", g.GWeightC, 2*out)
	mustLen("SRU GBias", g.GBias, 2*out)
}
