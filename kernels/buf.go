// Package kernels defines the Device: the fused kernels and BLAS calls that all model code in
// gosru is written against, and its CPU implementation. A CUDA implementation lives in
// kernels/cuda behind the `cuda` build tag and satisfies the same interface.
//
// The kernels come in groups, each an interface embedded in Device: BLAS (Gemm,
// GemmStridedBatched), Elementwise (fills, copies, arithmetic, activations including Exp and
// Log, reductions), NNKernels (layer norm, log-softmax and cross entropy, gather/scatter,
// pooling over time, optimizer steps), SRUKernels, LSTMKernels, and SeqKernels (attention:
// masked softmax and the fused Bahdanau scores). Each fused kernel has a readable reference
// (sru_ref.go, lstm_ref.go, seq.go, GemmRef) that the tests hold the CPU kernel against.
//
// The CPU device's float32 kernels for the SRU recurrence, the LSTM cell, sigmoid/tanh/exp and
// the softmax rows have vector forms (vec.go: C compiled by cgo for AVX2 + FMA and AVX-512,
// chosen at run time from the processor's features); builds without cgo and other processors
// run the pure-Go kernels. The environment variable SRU_KERNELS=go forces the pure-Go kernels
// (SRU_KERNELS=avx2 stops at AVX2); KernelPath says which path runs.
//
// Shape letters used throughout: L = time steps, B = batch, D = width, K = SRU weight blocks,
// H = hidden units per direction. All matrices are row-major.
package kernels

import (
	"fmt"
	"unsafe"
)

// Float is the element type of device buffers. float64 exists for exact tests; float32 is what
// training uses.
type Float interface{ ~float32 | ~float64 }

// Buf is a view of n elements of device memory. On the CPU device it wraps a Go slice; on a GPU
// device it holds a device address. Buf values are cheap to copy; Slice makes sub-views without
// copying. The zero Buf is "absent" (IsNil), used for optional kernel arguments.
type Buf[T Float] struct {
	h []T     // host memory (CPU device)
	p uintptr // device address (GPU devices)
	n int
}

// HostBuf wraps a Go slice as CPU device memory.
func HostBuf[T Float](s []T) Buf[T] { return Buf[T]{h: s, n: len(s)} }

// DeviceBuf wraps n elements of device memory at address p.
func DeviceBuf[T Float](p uintptr, n int) Buf[T] { return Buf[T]{p: p, n: n} }

// Len is the number of elements in the view.
func (b Buf[T]) Len() int { return b.n }

// IsNil reports whether b is the absent buffer.
func (b Buf[T]) IsNil() bool { return b.n == 0 && b.h == nil && b.p == 0 }

// Slice returns the sub-view [i, j).
func (b Buf[T]) Slice(i, j int) Buf[T] {
	if i < 0 || j < i || j > b.n {
		panic(fmt.Sprintf("kernels: Slice [%d:%d] of a buffer of length %d", i, j, b.n))
	}
	if b.h != nil {
		return Buf[T]{h: b.h[i:j:j], n: j - i}
	}
	var z T
	return Buf[T]{p: b.p + uintptr(i)*sizeOf(z), n: j - i}
}

// Host returns the host slice of a CPU buffer (nil for a nil buffer); it panics on GPU memory.
func (b Buf[T]) Host() []T {
	if b.h == nil && b.p != 0 {
		panic("kernels: Host() on device memory; copy it with Device.Download")
	}
	return b.h
}

// Ptr returns the device address of a GPU buffer.
func (b Buf[T]) Ptr() uintptr { return b.p }

func sizeOf[T Float](z T) uintptr { return unsafe.Sizeof(z) }

// Ints is a view of n int32 elements of device memory (token ids, lengths, class labels).
type Ints struct {
	h []int32
	p uintptr
	n int
}

// HostInts wraps a Go slice as CPU device memory.
func HostInts(s []int32) Ints { return Ints{h: s, n: len(s)} }

// DeviceInts wraps n int32 elements of device memory at address p.
func DeviceInts(p uintptr, n int) Ints { return Ints{p: p, n: n} }

// Len is the number of elements in the view.
func (b Ints) Len() int { return b.n }

// IsNil reports whether b is the absent buffer.
func (b Ints) IsNil() bool { return b.n == 0 && b.h == nil && b.p == 0 }

// Slice returns the sub-view [i, j).
func (b Ints) Slice(i, j int) Ints {
	if i < 0 || j < i || j > b.n {
		panic(fmt.Sprintf("kernels: Slice [%d:%d] of an int buffer of length %d", i, j, b.n))
	}
	if b.h != nil {
		return Ints{h: b.h[i:j:j], n: j - i}
	}
	return Ints{p: b.p + uintptr(i)*4, n: j - i}
}

// Host returns the host slice of a CPU buffer; it panics on GPU memory.
func (b Ints) Host() []int32 {
	if b.h == nil && b.p != 0 {
		panic("kernels: Host() on device memory; copy it with Device.DownloadInts")
	}
	return b.h
}

// Ptr returns the device address of a GPU buffer.
func (b Ints) Ptr() uintptr { return b.p }
