//go:build cuda || cudaemu

package cuda

import "github.com/gosru/gosru/kernels"

// The attention kernels (kernels.SeqKernels); the CUDA side is attention.cuh. Shapes are checked
// by the kernels.Check functions that the CPU device calls too. Lengths are clamped to
// [0, cols] on both devices, so they need no check on the GPU.

// seqKernelSet holds the kernels of attention.cuh.
type seqKernelSet struct {
	maskedSoftmax, softmaxBwd                              kernel
	additiveScores, additiveBwdQ, additiveBwdK, additiveDv kernel
}

// namedKernel pairs a kernel with its name in the fatbin (without the precision suffix).
type namedKernel struct {
	k    *kernel
	name string
}

// list names the kernels for kernelSet.load (TestLaunchArguments reads this table too).
func (ks *seqKernelSet) list() []namedKernel {
	return []namedKernel{
		{&ks.maskedSoftmax, "masked_softmax"}, {&ks.softmaxBwd, "softmax_bwd"},
		{&ks.additiveScores, "additive_scores"}, {&ks.additiveBwdQ, "additive_bwd_q"},
		{&ks.additiveBwdK, "additive_bwd_k"}, {&ks.additiveDv, "additive_dv"},
	}
}

func (d *Device[T]) MaskedSoftmax(rows, cols, B, group int, y, x kernels.Buf[T], lengths kernels.Ints, pad kernels.Buf[T]) {
	kernels.CheckMaskedSoftmax(rows, cols, B, group, y, x, lengths, pad)
	if cols == 0 {
		return
	}
	d.a().i(cols).i(B).i(group).ptr(devPtr(y)).ptr(devPtr(x)).ptr(intsPtr(lengths)).ptr(devPtr(pad))
	d.launch(&d.k.seq.maskedSoftmax, rows, 1, rowBlock(cols), 1)
}

func (d *Device[T]) SoftmaxBackward(rows, cols int, dx, y, dy kernels.Buf[T]) {
	kernels.CheckSoftmaxBackward(rows, cols, dx, y, dy)
	if cols == 0 {
		return
	}
	d.a().i(cols).ptr(devPtr(dx)).ptr(devPtr(y)).ptr(devPtr(dy))
	d.launch(&d.k.seq.softmaxBwd, rows, 1, rowBlock(cols), 1)
}

func (d *Device[T]) AdditiveScores(Lq, Ls, B, H int, s, q, k, v kernels.Buf[T]) {
	kernels.CheckAdditiveScores(Lq, Ls, B, H, s, q, k, v)
	if Ls == 0 || B*Lq == 0 {
		return
	}
	d.a().i(Lq).i(Ls).i(B).i(H).ptr(devPtr(s)).ptr(devPtr(q)).ptr(devPtr(k)).ptr(devPtr(v))
	d.launch(&d.k.seq.additiveScores, B*Lq, 1, min(256, 32*Ls), 1)
}

func (d *Device[T]) AdditiveScoresBackward(Lq, Ls, B, H int, dq, dk, dv, ds, q, k, v kernels.Buf[T]) {
	kernels.CheckAdditiveScoresBackward(Lq, Ls, B, H, dq, dk, dv, ds, q, k, v)
	if H == 0 || B == 0 || Lq == 0 || Ls == 0 {
		return
	}
	rows := B * Lq
	if !dq.IsNil() || !dv.IsNil() {
		var partial uint64
		if !dv.IsNil() {
			partial = d.scratchSpace(int64(rows*H) * elemSize[T]())
		}
		d.a().i(Lq).i(Ls).i(B).i(H).ptr(devPtr(dq)).ptr(partial).ptr(devPtr(ds)).ptr(devPtr(q)).ptr(devPtr(k)).
			ptr(devPtr(v))
		d.launch(&d.k.seq.additiveBwdQ, rows, 1, rowBlock(H), 1)
		if !dv.IsNil() {
			d.a().i(rows).i(H).ptr(partial).ptr(devPtr(dv))
			d.flat(&d.k.seq.additiveDv, H)
		}
	}
	if !dk.IsNil() {
		d.a().i(Lq).i(Ls).i(B).i(H).ptr(devPtr(dk)).ptr(devPtr(ds)).ptr(devPtr(q)).ptr(devPtr(k)).ptr(devPtr(v))
		d.launch(&d.k.seq.additiveBwdK, B*Ls, 1, rowBlock(H), 1)
	}
}
