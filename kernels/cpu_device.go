package kernels

// The CPU device implements the whole Device interface in both precisions.
var (
	_ Device[float32] = (*CPU[float32])(nil)
	_ Device[float64] = (*CPU[float64])(nil)
)
