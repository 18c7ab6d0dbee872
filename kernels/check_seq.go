package kernels

import "fmt"

// Argument checks of the SeqKernels, shared by every device like those of check.go.

// CheckMaskedSoftmax checks the arguments of MaskedSoftmax.
func CheckMaskedSoftmax[T Float](rows, cols, B, group int, y, x Buf[T], lengths Ints, pad Buf[T]) {
	if rows < 0 || cols < 0 || B <= 0 || group <= 0 {
		panic(fmt.Sprintf("kernels: MaskedSoftmax with rows=%d, cols=%d, B=%d, group=%d", rows, cols, B, group))
	}
	mustLen("MaskedSoftmax x", x, rows*cols)
	mustLen("MaskedSoftmax y", y, rows*cols)
	if !lengths.IsNil() {
		mustLenInts("MaskedSoftmax lengths", lengths, B)
	}
	mustLenOpt("MaskedSoftmax pad", pad, B*cols)
}

// CheckSoftmaxBackward checks the arguments of SoftmaxBackward.
func CheckSoftmaxBackward[T Float](rows, cols int, dx, y, dy Buf[T]) {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("kernels: SoftmaxBackward with rows=%d, cols=%d", rows, cols))
	}
	mustLen("SoftmaxBackward y", y, rows*cols)
	mustLen("SoftmaxBackward dy", dy, rows*cols)
	mustLen("SoftmaxBackward dx", dx, rows*cols)
}

// CheckAdditiveScores checks the arguments of AdditiveScores.
func CheckAdditiveScores[T Float](Lq, Ls, B, H int, s, q, k, v Buf[T]) {
	checkAdditive("AdditiveScores", Lq, Ls, B, H, q, k, v)
	mustLen("AdditiveScores s", s, B*Lq*Ls)
}

// CheckAdditiveScoresBackward checks the arguments of AdditiveScoresBackward.
func CheckAdditiveScoresBackward[T Float](Lq, Ls, B, H int, dq, dk, dv, ds, q, k, v Buf[T]) {
	checkAdditive("AdditiveScoresBackward", Lq, Ls, B, H, q, k, v)
	mustLen("AdditiveScoresBackward ds", ds, B*Lq*Ls)
	mustLenOpt("AdditiveScoresBackward dq", dq, Lq*B*H)
	mustLenOpt("AdditiveScoresBackward dk", dk, Ls*B*H)
	mustLenOpt("AdditiveScoresBackward dv", dv, H)
}

// checkAdditive checks what the forward and the backward share (constant names: a check that
// passes allocates nothing).
func checkAdditive[T Float](what string, Lq, Ls, B, H int, q, k, v Buf[T]) {
	if Lq < 0 || Ls < 0 || B < 0 || H < 0 {
		panic(fmt.Sprintf("kernels: %s with Lq=%d, Ls=%d, B=%d, H=%d", what, Lq, Ls, B, H))
	}
	mustLen("additive attention q", q, Lq*B*H)
	mustLen("additive attention k", k, Ls*B*H)
	mustLen("additive attention v", v, H)
}
