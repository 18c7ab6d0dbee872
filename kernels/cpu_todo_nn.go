package kernels

// TEMPORARY stubs until the CPU elementwise and nn kernels land; delete this file then.

func (d *CPU[T]) Fill(dst Buf[T], v T)                                            { panic("todo") }
func (d *CPU[T]) Copy(dst, src Buf[T])                                            { panic("todo") }
func (d *CPU[T]) Copy2D(rows, cols int, dst Buf[T], ldd int, src Buf[T], lds int) { panic("todo") }
func (d *CPU[T]) Axpy2D(rows, cols int, alpha T, dst Buf[T], ldd int, src Buf[T], lds int) {
	panic("todo")
}
func (d *CPU[T]) Axpy(dst Buf[T], alpha T, x Buf[T])          { panic("todo") }
func (d *CPU[T]) Scale(dst Buf[T], alpha T)                   { panic("todo") }
func (d *CPU[T]) Add(dst, a, b Buf[T])                        { panic("todo") }
func (d *CPU[T]) Mul(dst, a, b Buf[T], accumulate bool)       { panic("todo") }
func (d *CPU[T]) MulCyclic(dst, x, m Buf[T], accumulate bool) { panic("todo") }
func (d *CPU[T]) AddBias(dst, bias Buf[T])                    { panic("todo") }
func (d *CPU[T]) SumRows(dst, src Buf[T])                     { panic("todo") }
func (d *CPU[T]) Activate(act Act, dst, x Buf[T])             { panic("todo") }
func (d *CPU[T]) ActivateBackward(act Act, dx, y, dy Buf[T])  { panic("todo") }
func (d *CPU[T]) SumSquares(x Buf[T]) float64                 { panic("todo") }
func (d *CPU[T]) Sum(x Buf[T]) float64                        { panic("todo") }
func (d *CPU[T]) LayerNorm(rows, cols int, y, x, gamma, beta, mean, rstd Buf[T], eps T) {
	panic("todo")
}
func (d *CPU[T]) LayerNormBackward(rows, cols int, dx, dgamma, dbeta, dy, x, gamma, mean, rstd Buf[T]) {
	panic("todo")
}
func (d *CPU[T]) LogSoftmax(rows, cols int, y, x Buf[T])              { panic("todo") }
func (d *CPU[T]) LogSoftmaxBackward(rows, cols int, dx, y, dy Buf[T]) { panic("todo") }
func (d *CPU[T]) SoftmaxCrossEntropy(rows, cols int, logProbs, loss, logits Buf[T], targets Ints, weights Buf[T], ignoreIndex int32) (sum, weightSum float64) {
	panic("todo")
}
func (d *CPU[T]) SoftmaxCrossEntropyBackward(rows, cols int, dlogits, logProbs Buf[T], targets Ints, weights Buf[T], ignoreIndex int32, scale T) {
	panic("todo")
}
func (d *CPU[T]) Gather(cols int, dst, table Buf[T], ids Ints)                  { panic("todo") }
func (d *CPU[T]) ScatterAdd(cols int, table, src Buf[T], ids Ints)              { panic("todo") }
func (d *CPU[T]) MaxOverTime(L, B, D int, y Buf[T], argmax Ints, x, pad Buf[T]) { panic("todo") }
func (d *CPU[T]) MaxOverTimeBackward(L, B, D int, dx, dy Buf[T], argmax Ints)   { panic("todo") }
func (d *CPU[T]) MeanOverTime(L, B, D int, y, x, pad Buf[T])                    { panic("todo") }
func (d *CPU[T]) MeanOverTimeBackward(L, B, D int, dx, dy, pad Buf[T])          { panic("todo") }
func (d *CPU[T]) SGDStep(p, g, mom Buf[T], lr, momentum, weightDecay T, nesterov bool) {
	panic("todo")
}
func (d *CPU[T]) AdamStep(p, g, m, v Buf[T], lr, beta1, beta2, eps, weightDecay T, step int) {
	panic("todo")
}
