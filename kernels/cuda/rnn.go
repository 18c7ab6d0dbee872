//go:build cuda || cudaemu

package cuda

import "github.com/gosru/gosru/kernels"

// The recurrences: the SRU layer (one launch per direction pair and pass, sru.cuh) and the LSTM
// cell (one launch per step, lstm.cuh).

// SRUForward runs the recurrence of one layer, both directions in one launch.
func (d *Device[T]) SRUForward(a *kernels.SRUArgs[T]) {
	a.Check()
	d.a().i(a.L).i(a.B).i(a.H).i(a.Dirs).i(a.K).b(a.Tanh).b(a.Skip).f(float64(a.Alpha), d.f64).
		ptr(devPtr(a.U)).ptr(devPtr(a.X)).ptr(devPtr(a.WeightC)).ptr(devPtr(a.Bias)).ptr(devPtr(a.C0)).
		ptr(devPtr(a.Pad)).ptr(devPtr(a.Mask)).ptr(devPtr(a.Y)).ptr(devPtr(a.C)).ptr(devPtr(a.CLast)).
		ptr(devPtr(a.F)).ptr(devPtr(a.R))
	d.perThread(&d.k.sruFwd, a.B*a.Out())
}

// SRUBackward runs the reverse recurrence, then adds the per-(b, column) bias and weight_c
// gradient sums over b in a second, deterministic kernel.
func (d *Device[T]) SRUBackward(a *kernels.SRUArgs[T], g *kernels.SRUGrads[T]) {
	a.Check()
	g.Check(a)
	out := a.Out()
	if a.B*out == 0 {
		return
	}
	part := d.scratchSpace(int64(a.B*4*out) * elemSize[T]())
	d.a().i(a.L).i(a.B).i(a.H).i(a.Dirs).i(a.K).b(a.Tanh).b(a.Skip).f(float64(a.Alpha), d.f64).
		ptr(devPtr(a.U)).ptr(devPtr(a.X)).ptr(devPtr(a.WeightC)).ptr(devPtr(a.Bias)).ptr(devPtr(a.C0)).
		ptr(devPtr(a.Pad)).ptr(devPtr(a.Mask)).ptr(devPtr(a.C)).ptr(devPtr(a.F)).ptr(devPtr(a.R)).
		ptr(devPtr(g.GY)).ptr(devPtr(g.GCLast)).ptr(devPtr(g.GU)).ptr(devPtr(g.GX)).ptr(devPtr(g.GC0)).ptr(part)
	d.perThread(&d.k.sruBwd, a.B*out)
	d.a().i(a.B).i(out).ptr(part).ptr(devPtr(g.GBias)).ptr(devPtr(g.GWeightC))
	d.flat(&d.k.sruParamGrad, 2*out)
}

// LSTMCellForward runs one step of the cell (see kernels.LSTMKernels).
func (d *Device[T]) LSTMCellForward(B, H int, gates, bias, cPrev, hPrev, c, h, y kernels.Buf[T], ldy int,
	pad kernels.Buf[T]) {
	kernels.CheckLSTMCellForward(B, H, gates, bias, cPrev, hPrev, c, h, y, ldy, pad)
	d.a().i(B).i(H).ptr(devPtr(gates)).ptr(devPtr(bias)).ptr(devPtr(cPrev)).ptr(devPtr(hPrev)).ptr(devPtr(c)).
		ptr(devPtr(h)).ptr(devPtr(y)).i(ldy).ptr(devPtr(pad))
	d.perThread(&d.k.lstmFwd, B*H)
}

// LSTMCellBackward runs one step of the cell backwards (see kernels.LSTMKernels).
func (d *Device[T]) LSTMCellBackward(B, H int, dgates, dcPrev, dhPrev, gates, cPrev, c, dy kernels.Buf[T], ldy int,
	dh, dc, pad kernels.Buf[T]) {
	kernels.CheckLSTMCellBackward(B, H, dgates, dcPrev, dhPrev, gates, cPrev, c, dy, ldy, dh, dc, pad)
	d.a().i(B).i(H).ptr(devPtr(dgates)).ptr(devPtr(dcPrev)).ptr(devPtr(dhPrev)).ptr(devPtr(gates)).
		ptr(devPtr(cPrev)).ptr(devPtr(c)).ptr(devPtr(dy)).i(ldy).ptr(devPtr(dh)).ptr(devPtr(dc)).ptr(devPtr(pad))
	d.perThread(&d.k.lstmBwd, B*H)
}

// The device implements the whole interface in both precisions.
var (
	_ kernels.Device[float32] = (*Device[float32])(nil)
	_ kernels.Device[float64] = (*Device[float64])(nil)
)
