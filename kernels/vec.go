package kernels

import (
	"fmt"
	"os"
	"unsafe"
)

// Vector kernels. The float32 forms of the SRU recurrence, the LSTM cell, exp/sigmoid/tanh and
// the softmax rows have a second implementation in C (vec_body.h), compiled by cgo for AVX2 +
// FMA and for AVX-512 and vectorised across independent columns (8 or 16 per instruction; time
// stays sequential). The device picks the widest one the processor supports when the package
// is initialised; builds without cgo, and processors other than amd64, run the pure-Go kernels.
// float64 always runs the pure-Go kernels.
//
// The environment variable SRU_KERNELS overrides the choice: "go" forces the pure-Go kernels,
// "avx2" stops at AVX2, "avx512" and "auto" (or unset) take the widest available. A level the
// processor or the build lacks falls back to the next narrower one.

// vecMinLen is the shortest elementwise slice worth a call into C.
const vecMinLen = 64

// vecISA is a kernel path: pure Go or one of the compiled instruction sets.
type vecISA int

const (
	vecGo vecISA = iota
	vecAVX2
	vecAVX512
)

func (v vecISA) String() string {
	switch v {
	case vecAVX2:
		return "avx2"
	case vecAVX512:
		return "avx512"
	}
	return "go"
}

// vecLevel is the path the float32 kernels take (tests switch it to cover every path).
var vecLevel = chooseVecLevel(os.Getenv("SRU_KERNELS"), vecMaxLevel())

// chooseVecLevel applies the SRU_KERNELS setting to the widest level available.
func chooseVecLevel(setting string, best vecISA) vecISA {
	want := vecAVX512
	switch setting {
	case "", "auto", "avx512":
	case "go":
		want = vecGo
	case "avx2":
		want = vecAVX2
	default:
		panic(fmt.Sprintf("kernels: SRU_KERNELS=%q: want auto, go, avx2 or avx512", setting))
	}
	return min(want, best)
}

// vecLevels lists the paths this build can run on this processor, pure Go first.
func vecLevels() []vecISA {
	var ls []vecISA
	for l := vecGo; l <= vecMaxLevel(); l++ {
		ls = append(ls, l)
	}
	return ls
}

// useVec reports whether a kernel in precision T takes the vector path.
func useVec[T Float]() bool { return vecLevel != vecGo && isF32[T]() }

// KernelPath names the path of the float32 kernels: "go", "avx2" or "avx512".
func KernelPath() string { return vecLevel.String() }

// f32s views a []T that holds float32 (useVec checked) as []float32.
func f32s[T Float](s []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// constRow returns buf (grown when short) with its first n elements set to v, for the kernels
// that read a row of ones or zeros in place of an absent mask or state.
func constRow[T Float](buf []T, n int, v T) []T {
	if cap(buf) < n {
		buf = make([]T, n)
	}
	buf = buf[:n]
	if len(buf) > 0 && (buf[0] != v || buf[n-1] != v) {
		for i := range buf {
			buf[i] = v
		}
	}
	return buf
}
