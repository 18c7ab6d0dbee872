package kernels

// TEMPORARY stubs until the CPU LSTM cell kernels land; delete this file then.

func (d *CPU[T]) LSTMCellForward(B, H int, gates, cPrev, hPrev, c, h, y, pad Buf[T]) {
	panic("todo")
}
func (d *CPU[T]) LSTMCellBackward(B, H int, dgates, dcPrev, dhPrevCarry, gates, cPrev, c, dh, dc, pad Buf[T]) {
	panic("todo")
}
