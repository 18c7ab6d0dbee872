//go:build !(cgo && amd64)

package kernels

// Without cgo, or off amd64, only the pure-Go kernels exist; vecLevel is always vecGo, so none
// of these is ever called.

func vecMaxLevel() vecISA { return vecGo }

func vecUnary(op int, y, x []float32) { panic("kernels: no vector kernels in this build") }

func vecSRUForward[T Float](a *SRUArgs[T], ones []T, dir, c0, c1, b0, b1 int) {
	panic("kernels: no vector kernels in this build")
}

func vecSRUBackward[T Float](a *SRUArgs[T], g *SRUGrads[T], gc, zeros, ones, gb, gwc []T, dir, c0, c1, b0, b1 int) {
	panic("kernels: no vector kernels in this build")
}

func vecLSTMForwardSeg[T Float](gi, gf, gg, og, bias []T, H, j0 int, cp, c, h, y []T) {
	panic("kernels: no vector kernels in this build")
}

func vecLSTMBackwardSeg[T Float](dgi, dgf, dgg, dgo, dcp, dhp, gi, gf, gg, og, cp, c, dy, dh, dc []T) {
	panic("kernels: no vector kernels in this build")
}

func vecMaxExpSum(x []float32) (m, s float32) { panic("kernels: no vector kernels in this build") }

func vecSubConst(y, x []float32, a float32) { panic("kernels: no vector kernels in this build") }

func vecAddScaledExp(y, x []float32, a, b float32) {
	panic("kernels: no vector kernels in this build")
}

func vecLogSoftmaxBwdRow(dx, y, dy []float32) { panic("kernels: no vector kernels in this build") }
