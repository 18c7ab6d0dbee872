//go:build cuda || cudaemu

package cuda

import "github.com/gosru/gosru/kernels"

// The CTC loss (kernels.CTCKernels); the CUDA side is ctc.cuh: one block per sequence, with
// about one thread per position of the extended label sequence. Shapes are checked by
// kernels.CheckCTC like on the CPU; lengths and labels are checked on the GPU, where a bad one
// raises a flag that the next Sync turns into an error (and that sequence's loss is NaN).

func (d *Device[T]) CTCLoss(a *kernels.CTCArgs[T]) {
	kernels.CheckCTC(a)
	d.a().i(a.L).i(a.B).i(a.C).i(a.S).i(a.Blank).b(a.ZeroInfinity).ptr(devPtr(a.Loss)).ptr(devPtr(a.Work)).
		ptr(devPtr(a.Logits)).ptr(intsPtr(a.InputLengths)).ptr(intsPtr(a.Targets)).ptr(intsPtr(a.TargetLengths)).
		ptr(d.flagsPtr())
	d.launch(&d.k.ctcFwd, a.B, 1, rowBlock(2*a.S+1), 1)
}

func (d *Device[T]) CTCLossBackward(a *kernels.CTCArgs[T], dlogits, dloss kernels.Buf[T]) {
	kernels.CheckCTCBackward(a, dlogits, dloss)
	d.a().i(a.L).i(a.B).i(a.C).i(a.S).i(a.Blank).ptr(devPtr(dlogits)).ptr(devPtr(dloss)).ptr(devPtr(a.Work)).
		ptr(devPtr(a.Logits)).ptr(intsPtr(a.InputLengths)).ptr(intsPtr(a.Targets)).ptr(intsPtr(a.TargetLengths)).
		ptr(d.flagsPtr())
	d.launch(&d.k.ctcBwd, a.B, 1, rowBlock(2*a.S+1), 1)
}
