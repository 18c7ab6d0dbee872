//go:build cuda || cudaemu

package cuda

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"unsafe"

	"github.com/gosru/gosru/kernels"
)

// Options configure a CUDA device.
type Options struct {
	// Ordinal is the GPU's index (CUDA_VISIBLE_DEVICES applies).
	Ordinal int
	// TF32 lets SGEMM round its inputs to TF32 on tensor cores: several times faster, about 1e-3
	// relative error. Off by default: the paper's comparisons are strict FP32.
	TF32 bool
	// SyncEveryLaunch waits after every kernel and GEMM, so that an asynchronous fault is
	// reported with the name of the kernel that caused it. For debugging: it serialises host
	// and GPU.
	SyncEveryLaunch bool
	// CUBLAS is the path of the cuBLAS library; empty: $SRU_CUBLAS, else libcublas.so.13, .12, .11.
	CUBLAS string
	// UnmappedMailbox keeps the kernels' flags and results in device memory, copied back after
	// each synchronize, instead of mapped host memory (the fallback when the driver refuses
	// mapped memory; tests force it to check that path).
	UnmappedMailbox bool
}

// OptionsFromEnv reads Options from the environment: SRU_CUDA_DEVICE (ordinal), SRU_CUDA_TF32=1,
// SRU_CUDA_SYNC=1 and SRU_CUBLAS.
func OptionsFromEnv() (Options, error) {
	var o Options
	if v := os.Getenv("SRU_CUDA_DEVICE"); v != "" {
		if _, err := fmt.Sscan(v, &o.Ordinal); err != nil {
			return o, fmt.Errorf("cuda: SRU_CUDA_DEVICE=%q: want a GPU index", v)
		}
	}
	o.TF32 = os.Getenv("SRU_CUDA_TF32") == "1"
	o.SyncEveryLaunch = os.Getenv("SRU_CUDA_SYNC") == "1"
	return o, nil
}

// Device is a kernels.Device on one NVIDIA GPU: one stream on the GPU's primary context, the
// embedded kernels, cuBLAS, and a caching allocator. Work is queued asynchronously; Download,
// the host-valued reductions and Sync wait for it. The first failure is kept and returned by
// Sync (and every later call does nothing).
type Device[T kernels.Float] struct {
	opts         Options
	be           backend // the driver: the GPU (backend_cu.go) or the emulator (backend_emu.go)
	k            kernelSet
	mem          *allocator
	mailbox      mailbox // error flags and reduction results, written by kernels
	scratch      uintptr // device workspace for partial sums (grown as needed)
	scratchBytes int64

	f64  bool
	sms  int
	name string
	err  error  // the first failure
	last string // the last kernel queued, to name the culprit of an asynchronous fault
	args argPack
}

// The mailbox is where kernels leave what the host must read: int32 error flags (one per ERR_*
// in common.cuh), then float64 results. It is pinned host memory mapped into the GPU's address
// space, so reading it after a synchronize costs no copy; where the driver refuses mapped
// memory it is device memory copied back after each synchronize instead.
const (
	flagWords   = 8
	resultsOff  = 64
	resultWords = 8
	mailboxSize = resultsOff + 8*resultWords
)

type mailbox struct {
	mapped bool                     // host and dev are views of one pinned, mapped allocation
	dev    uintptr                  // the address kernels write to
	host   unsafe.Pointer           // where the host reads
	copy   *[mailboxSize / 8]uint64 // unmapped: the host copy (8-byte aligned)
}

// Open makes a device on GPU opts.Ordinal. It locks the calling goroutine to its OS thread and
// makes the GPU's primary context current on it: use the device from this goroutine (or call
// Bind on the goroutine that will). Close releases it.
func Open[T kernels.Float](opts Options) (_ *Device[T], err error) {
	runtime.LockOSThread()
	d := &Device[T]{opts: opts}
	var z T
	d.f64 = unsafe.Sizeof(z) == 8
	d.args.init()
	defer func() {
		if err != nil {
			d.release()
			runtime.UnlockOSThread()
		}
	}()
	var desc string
	if desc, d.sms, err = d.be.open(opts, d.f64); err != nil {
		return nil, err
	}
	if err = d.k.load(&d.be, d.f64); err != nil {
		return nil, err
	}
	d.mem = newAllocator(d.be.alloc, d.be.free)
	if err = d.openMailbox(); err != nil {
		return nil, err
	}
	d.name = fmt.Sprintf("cuda %T (%s)", z, desc)
	return d, nil
}

// Bind locks the calling goroutine to its OS thread and makes the device's context current
// there. Call it before using the device from a goroutine other than the one that opened it
// (a test, for instance, runs on its own goroutine).
func (d *Device[T]) Bind() error {
	runtime.LockOSThread()
	return d.be.bind()
}

// Close waits for queued work and frees everything the device holds, including buffers still
// allocated; it undoes one LockOSThread of the calling goroutine. The device is unusable after.
func (d *Device[T]) Close() error {
	err := d.Sync()
	if rerr := d.release(); err == nil {
		err = rerr
	}
	runtime.UnlockOSThread()
	return err
}

// release frees what Open acquired, tolerating a partly opened device.
func (d *Device[T]) release() error {
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	if d.mem != nil {
		keep(d.mem.releaseAll()) // the unmapped mailbox too
		d.mem = nil
	}
	if d.mailbox.mapped {
		keep(d.be.freeHostMapped(d.mailbox.host))
	}
	d.mailbox = mailbox{}
	keep(d.be.close())
	if d.err == nil && first != nil {
		d.err = first
	}
	if first != nil {
		return fmt.Errorf("cuda: closing: %w", first)
	}
	return nil
}

// Name says which GPU, driver and cuBLAS this device uses.
func (d *Device[T]) Name() string { return d.name }

// fail keeps the first error.
func (d *Device[T]) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// Err is the first error so far, without waiting for queued work.
func (d *Device[T]) Err() error { return d.err }

// openMailbox allocates the mailbox, mapped if the driver allows.
func (d *Device[T]) openMailbox() error {
	if !d.opts.UnmappedMailbox {
		host, dev, err := d.be.hostMapped(mailboxSize)
		if err == nil {
			d.mailbox = mailbox{mapped: true, dev: dev, host: host}
			return nil
		}
	}
	p, err := d.mem.get(mailboxSize)
	if err != nil {
		return fmt.Errorf("cuda: mailbox: %w", err)
	}
	if err := d.be.memset(p, mailboxSize); err != nil {
		return fmt.Errorf("cuda: zeroing the mailbox: %w", err)
	}
	if err := d.be.synchronize(); err != nil {
		return fmt.Errorf("cuda: zeroing the mailbox: %w", err)
	}
	cp := new([mailboxSize / 8]uint64)
	d.mailbox = mailbox{dev: p, host: unsafe.Pointer(cp), copy: cp}
	return nil
}

// syncStream waits for the stream and checks the kernels' error flags.
func (d *Device[T]) syncStream() {
	if d.err != nil {
		return
	}
	if err := d.be.synchronize(); err != nil {
		d.fail(fmt.Errorf("cuda: waiting for the GPU (last kernel queued: %s): %w", d.last, err))
		return
	}
	if d.mailbox.copy != nil {
		err := d.be.dtoh(d.mailbox.host, d.mailbox.dev, mailboxSize)
		if err == nil {
			err = d.be.synchronize()
		}
		if err != nil {
			d.fail(fmt.Errorf("cuda: reading the mailbox: %w", err))
			return
		}
	}
	d.checkFlags()
}

// flagNames name the error flags of common.cuh.
var flagNames = [flagWords]string{
	"Gather: an id is past the end of the table",
	"ScatterAdd: an id is past the end of the table",
	"cross entropy: a target is outside [0, cols) and not the ignore index",
	"CTC: an input or target length or a label is out of range (or a label is the blank)",
}

func (d *Device[T]) checkFlags() {
	flags := (*[flagWords]int32)(d.mailbox.host)
	raised := false
	for i := range flags {
		if flags[i] != 0 {
			flags[i] = 0
			raised = true
			d.fail(fmt.Errorf("cuda: %s", flagNames[i]))
		}
	}
	if raised && d.mailbox.copy != nil {
		if err := d.be.memset(d.mailbox.dev, flagWords*4); err != nil {
			d.fail(fmt.Errorf("cuda: clearing the error flags: %w", err))
		}
	}
}

// Sync waits for queued work and returns the first error a call or kernel reported.
func (d *Device[T]) Sync() error {
	d.syncStream()
	return d.err
}

// Time runs f (which queues work) between two CUDA events and returns the GPU time between
// them in milliseconds; it waits for the work.
func (d *Device[T]) Time(f func()) (float64, error) {
	if d.err != nil {
		return 0, d.err
	}
	if err := d.be.record(false); err != nil {
		d.fail(fmt.Errorf("cuda: recording an event: %w", err))
		return 0, d.err
	}
	f()
	if d.err != nil {
		return 0, d.err
	}
	if err := d.be.record(true); err != nil {
		d.fail(fmt.Errorf("cuda: recording an event: %w", err))
		return 0, d.err
	}
	d.syncStream()
	if d.err != nil {
		return 0, d.err
	}
	ms, err := d.be.elapsed()
	if err != nil {
		d.fail(fmt.Errorf("cuda: event time: %w", err))
	}
	return ms, d.err
}

// MemStats reports the allocator: bytes handed out, bytes cached for reuse, the peak handed
// out, and how many requests the cache served and missed.
func (d *Device[T]) MemStats() (live, cached, peak int64, hits, misses int) {
	m := d.mem
	return m.liveBytes, m.cachedBytes, m.peakBytes, m.hits, m.misses
}

func elemSize[T kernels.Float]() int64 {
	var z T
	return int64(unsafe.Sizeof(z))
}

// Alloc returns n zeroed elements. Even n = 0 gets an address, so that the result is not the
// absent buffer (as on the CPU device).
func (d *Device[T]) Alloc(n int) kernels.Buf[T] {
	return kernels.DeviceBuf[T](d.allocZeroed(int64(n)*elemSize[T]()), n)
}

func (d *Device[T]) AllocInts(n int) kernels.Ints {
	return kernels.DeviceInts(d.allocZeroed(int64(n)*4), n)
}

func (d *Device[T]) allocZeroed(bytes int64) uintptr {
	if bytes < 0 {
		panic(fmt.Sprintf("cuda: Alloc of %d bytes", bytes))
	}
	p, err := d.mem.get(bytes)
	if err != nil {
		// Out of memory is not a programmer error, but Alloc cannot return it: it becomes the
		// sticky error and the buffer points at nothing the kernels will touch (they are off).
		d.fail(err)
		return 1
	}
	if bytes > 0 && d.err == nil {
		if err := d.be.memset(p, bytes); err != nil {
			d.fail(fmt.Errorf("cuda: zeroing %d bytes: %w", bytes, err))
		}
	}
	return p
}

func (d *Device[T]) Free(b kernels.Buf[T])   { d.freePtr(b.Ptr(), b.IsNil()) }
func (d *Device[T]) FreeInts(b kernels.Ints) { d.freePtr(b.Ptr(), b.IsNil()) }

func (d *Device[T]) freePtr(p uintptr, isNil bool) {
	if isNil || p == 1 || d.mem == nil { // 1: a failed allocation; nil mem: closed
		return
	}
	if err := d.mem.put(p); err != nil {
		panic(err.Error())
	}
}

// devPtr is the device address of b for a kernel argument (0 for the absent buffer); it panics
// on host memory, the likely mistake of mixing devices.
func devPtr[T kernels.Float](b kernels.Buf[T]) uint64 {
	if b.Ptr() == 0 && b.Len() > 0 {
		panic("cuda: a host (CPU device) buffer was passed to the CUDA device")
	}
	return uint64(b.Ptr())
}

func intsPtr(b kernels.Ints) uint64 {
	if b.Ptr() == 0 && b.Len() > 0 {
		panic("cuda: a host (CPU device) int buffer was passed to the CUDA device")
	}
	return uint64(b.Ptr())
}

// Upload copies host data to the device. The copy is queued; the driver stages pageable host
// memory before it returns, so src may be reused at once.
func (d *Device[T]) Upload(dst kernels.Buf[T], src []T) {
	if dst.Len() != len(src) {
		panic(fmt.Sprintf("cuda: Upload of %d elements into %d", len(src), dst.Len()))
	}
	d.upload(devPtr(dst), unsafe.Pointer(unsafe.SliceData(src)), int64(len(src))*elemSize[T]())
}

func (d *Device[T]) UploadInts(dst kernels.Ints, src []int32) {
	if dst.Len() != len(src) {
		panic(fmt.Sprintf("cuda: UploadInts of %d elements into %d", len(src), dst.Len()))
	}
	d.upload(intsPtr(dst), unsafe.Pointer(unsafe.SliceData(src)), int64(len(src))*4)
}

func (d *Device[T]) upload(dst uint64, src unsafe.Pointer, bytes int64) {
	if bytes == 0 || d.err != nil {
		return
	}
	if err := d.be.htod(uintptr(dst), src, bytes); err != nil {
		d.fail(fmt.Errorf("cuda: upload of %d bytes: %w", bytes, err))
	}
}

// Download waits for queued work and copies device data to the host. After a failure it copies
// nothing (Sync says why).
func (d *Device[T]) Download(dst []T, src kernels.Buf[T]) {
	if src.Len() != len(dst) {
		panic(fmt.Sprintf("cuda: Download of %d elements into %d", src.Len(), len(dst)))
	}
	d.download(unsafe.Pointer(unsafe.SliceData(dst)), devPtr(src), int64(len(dst))*elemSize[T]())
}

func (d *Device[T]) DownloadInts(dst []int32, src kernels.Ints) {
	if src.Len() != len(dst) {
		panic(fmt.Sprintf("cuda: DownloadInts of %d elements into %d", src.Len(), len(dst)))
	}
	d.download(unsafe.Pointer(unsafe.SliceData(dst)), intsPtr(src), int64(len(dst))*4)
}

func (d *Device[T]) download(dst unsafe.Pointer, src uint64, bytes int64) {
	if bytes > 0 && d.err == nil {
		if err := d.be.dtoh(dst, uintptr(src), bytes); err != nil {
			d.fail(fmt.Errorf("cuda: download of %d bytes (last kernel queued: %s): %w", bytes, d.last, err))
		}
	}
	d.syncStream()
}

// scratchSpace returns device workspace of at least bytes, valid until the next call: every
// user queues its work on the one stream, so reuse needs no synchronization.
func (d *Device[T]) scratchSpace(bytes int64) uint64 {
	if bytes <= d.scratchBytes {
		return uint64(d.scratch)
	}
	if d.scratch != 0 {
		d.freePtr(d.scratch, false)
	}
	b := bucket(max(bytes, 64<<10))
	p, err := d.mem.get(b)
	if err != nil {
		d.fail(err)
		d.scratch, d.scratchBytes = 0, 0
		return 0
	}
	d.scratch, d.scratchBytes = p, b
	return uint64(p)
}

// result reads float64 i of the mailbox after a sync (NaN after a failure).
func (d *Device[T]) result(i int) float64 {
	if d.err != nil {
		return math.NaN()
	}
	return (*[resultWords]float64)(unsafe.Add(d.mailbox.host, resultsOff))[i]
}

// resultPtr is the device address of float64 i of the mailbox.
func (d *Device[T]) resultPtr(i int) uint64 { return uint64(d.mailbox.dev) + resultsOff + uint64(i)*8 }

// flagsPtr is the device address of the error flags.
func (d *Device[T]) flagsPtr() uint64 { return uint64(d.mailbox.dev) }
