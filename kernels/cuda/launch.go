//go:build cuda || cudaemu

package cuda

import (
	"fmt"
	"math"
	"unsafe"
)

// kernel is one function of the fatbin (kernelFn is the backend's handle).
type kernel struct {
	fn   kernelFn
	name string
}

// kernelSet holds every kernel of the fatbin in the device's precision.
type kernelSet struct {
	fill, axpy, scale, add, mul, mulCyclic, addBias kernel
	actFwd, actBwd, copy2d, axpy2d, scale2d         kernel
	colsum, colsumFinish, reducePartial             kernel
	reduceFinish                                    kernel
	reduceAcc, clipScale                            kernel

	layerNorm, layerNormBwd, layerNormParam, layerNormParamFinish kernel
	logSoftmax, logSoftmaxBwd, ceFwd, ceSums, ceBwd               kernel
	gather, scatterAdd                                            kernel
	maxOverTime, maxOverTimeBwd, meanOverTime, meanOverTimeBwd    kernel
	sgd, adam, adamax                                             kernel

	sruFwd, sruBwd, sruParamGrad kernel
	lstmFwd, lstmBwd             kernel
	ctcFwd, ctcBwd               kernel

	seq seqKernelSet // attention.go
}

// load looks up every kernel once, at Open: name plus _f32 or _f64, or name alone for the
// kernels that exist in one precision.
func (ks *kernelSet) load(be *backend, f64 bool) error {
	suffix := "_f32"
	if f64 {
		suffix = "_f64"
	}
	typed := []struct {
		k    *kernel
		name string
	}{
		{&ks.fill, "fill"}, {&ks.axpy, "axpy"}, {&ks.scale, "scale"}, {&ks.add, "add"}, {&ks.mul, "mul"},
		{&ks.mulCyclic, "mul_cyclic"}, {&ks.addBias, "add_bias"}, {&ks.actFwd, "act_fwd"},
		{&ks.actBwd, "act_bwd"}, {&ks.copy2d, "copy2d"}, {&ks.axpy2d, "axpy2d"}, {&ks.scale2d, "scale2d"},
		{&ks.colsum, "colsum"}, {&ks.colsumFinish, "colsum_finish"}, {&ks.reducePartial, "reduce_partial"},
		{&ks.reduceAcc, "reduce_acc"}, {&ks.clipScale, "clip_scale"},
		{&ks.layerNorm, "layer_norm"}, {&ks.layerNormBwd, "layer_norm_bwd"},
		{&ks.layerNormParam, "layer_norm_param"}, {&ks.layerNormParamFinish, "layer_norm_param_finish"},
		{&ks.logSoftmax, "log_softmax"}, {&ks.logSoftmaxBwd, "log_softmax_bwd"}, {&ks.ceFwd, "ce_fwd"},
		{&ks.ceSums, "ce_sums"}, {&ks.ceBwd, "ce_bwd"}, {&ks.gather, "gather"},
		{&ks.scatterAdd, "scatter_add"}, {&ks.maxOverTime, "max_over_time"},
		{&ks.maxOverTimeBwd, "max_over_time_bwd"}, {&ks.meanOverTime, "mean_over_time"},
		{&ks.meanOverTimeBwd, "mean_over_time_bwd"}, {&ks.sgd, "sgd"}, {&ks.adam, "adam"},
		{&ks.adamax, "adamax"},
		{&ks.sruFwd, "sru_fwd"}, {&ks.sruBwd, "sru_bwd"}, {&ks.sruParamGrad, "sru_param_grad"},
		{&ks.lstmFwd, "lstm_fwd"}, {&ks.lstmBwd, "lstm_bwd"},
		{&ks.ctcFwd, "ctc_fwd"}, {&ks.ctcBwd, "ctc_bwd"},
	}
	get := func(k *kernel, name string) error {
		fn, err := be.function(name)
		if err != nil {
			return fmt.Errorf("cuda: kernel %s is not in the fatbin (%s): %w", name, fatbinBuiltWith, err)
		}
		*k = kernel{fn: fn, name: name}
		return nil
	}
	for _, e := range typed {
		if err := get(e.k, e.name+suffix); err != nil {
			return err
		}
	}
	for _, e := range ks.seq.list() {
		if err := get(e.k, e.name+suffix); err != nil {
			return err
		}
	}
	return get(&ks.reduceFinish, "reduce_finish")
}

// maxArgs bounds a kernel's parameters (sru_bwd has 24).
const maxArgs = 32

// argPack holds the arguments of the next launch, each in an 8-byte slot: cu.Function.Launch
// copies 8 bytes from each pointer, and the driver takes as many bytes as the kernel's
// parameter has, so a 4-byte int or float sits in the low half (little-endian). Keeping the
// pack in the device means a launch allocates nothing.
type argPack struct {
	v [maxArgs]uint64
	p [maxArgs]unsafe.Pointer
	n int
}

func (a *argPack) init() {
	for i := range a.v {
		a.p[i] = unsafe.Pointer(&a.v[i])
	}
}

func (a *argPack) reset() *argPack { a.n = 0; return a }

func (a *argPack) put(x uint64) *argPack {
	a.v[a.n] = x
	a.n++
	return a
}

// i is an integer argument (int or i64 in the kernel).
func (a *argPack) i(x int) *argPack { return a.put(uint64(int64(x))) }

// b is a flag argument (int 0 or 1).
func (a *argPack) b(x bool) *argPack {
	if x {
		return a.put(1)
	}
	return a.put(0)
}

// f is a scalar of the element type: float bits for float32, double bits for float64.
func (a *argPack) f(x float64, f64 bool) *argPack {
	if f64 {
		return a.put(math.Float64bits(x))
	}
	return a.put(uint64(math.Float32bits(float32(x))))
}

// ptr is a device address (0 = null).
func (a *argPack) ptr(x uint64) *argPack { return a.put(x) }

// launch queues kernel k with the packed arguments on grid × block threads.
func (d *Device[T]) launch(k *kernel, gridX, gridY, blockX, blockY int) {
	if d.err != nil || gridX == 0 || gridY == 0 {
		return
	}
	if err := d.be.launch(k.fn, gridX, gridY, blockX, blockY, d.args.p[:d.args.n]); err != nil {
		d.fail(fmt.Errorf("cuda: launching %s (grid %d×%d, block %d×%d): %w", k.name, gridX, gridY, blockX, blockY, err))
		return
	}
	d.last = k.name
	if d.opts.SyncEveryLaunch {
		d.syncStream()
	}
}

// Block sizes: flat kernels use 256 threads and a grid-stride loop over at most gridPerSM
// blocks per multiprocessor, enough to keep every SM full without one block per element.
const (
	flatBlock = 256
	gridPerSM = 16
)

// flat launches k over n elements (nothing when n = 0).
func (d *Device[T]) flat(k *kernel, n int) {
	if n <= 0 {
		return
	}
	grid := min((n+flatBlock-1)/flatBlock, d.sms*gridPerSM)
	d.launch(k, grid, 1, flatBlock, 1)
}

// perThread launches k with one thread per element of n (no grid-stride loop), in blocks of at
// most 256 but small enough to give every SM about two blocks: the recurrences have few threads
// and each is latency-bound, so spreading them over all SMs matters more than block size.
func (d *Device[T]) perThread(k *kernel, n int) {
	if n <= 0 {
		return
	}
	block := 256
	for block > 32 && (n+block-1)/block < 2*d.sms {
		block /= 2
	}
	d.launch(k, (n+block-1)/block, 1, block, 1)
}

// rowBlock is the block size of the row kernels (one block per row): a multiple of 32, about
// one thread per column, at most 256.
func rowBlock(cols int) int {
	b := 32
	for b < cols && b < 256 {
		b *= 2
	}
	return b
}

// a starts the arguments of the next launch.
func (d *Device[T]) a() *argPack { return d.args.reset() }
