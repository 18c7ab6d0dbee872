//go:build cuda

package cuda

// The C side of the device beyond gorgonia.org/cu: pinned host memory that kernels write into
// (error flags, reduction results) and cuBLAS, opened with dlopen at run time. Linking cuBLAS at
// build time would tie the binary to one CUDA major version (Debian's libcublas.so.11 has
// versioned symbols that CUDA 13's library lacks); through dlopen and function pointers the same
// binary uses libcublas.so.13, .12 or .11, whichever the machine has.

/*
#cgo LDFLAGS: -lcuda -ldl
#include <cuda.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// cuBLAS's C API with its enums as ints and handles and streams as pointers.
typedef int (*sru_cublas_create)(void **);
typedef int (*sru_cublas_destroy)(void *);
typedef int (*sru_cublas_set_stream)(void *, void *);
typedef int (*sru_cublas_set_math_mode)(void *, int);
typedef int (*sru_cublas_get_version)(void *, int *);
typedef int (*sru_cublas_sgemm)(void *, int, int, int, int, int, const float *, const float *, int,
	const float *, int, const float *, float *, int);
typedef int (*sru_cublas_dgemm)(void *, int, int, int, int, int, const double *, const double *, int,
	const double *, int, const double *, double *, int);
typedef int (*sru_cublas_sgemm_sb)(void *, int, int, int, int, int, const float *, const float *, int,
	long long, const float *, int, long long, const float *, float *, int, long long, int);
typedef int (*sru_cublas_dgemm_sb)(void *, int, int, int, int, int, const double *, const double *, int,
	long long, const double *, int, long long, const double *, double *, int, long long, int);

typedef struct {
	void *lib;
	sru_cublas_create create;
	sru_cublas_destroy destroy;
	sru_cublas_set_stream set_stream;
	sru_cublas_set_math_mode set_math_mode;
	sru_cublas_get_version get_version;
	sru_cublas_sgemm sgemm;
	sru_cublas_dgemm dgemm;
	sru_cublas_sgemm_sb sgemm_sb;
	sru_cublas_dgemm_sb dgemm_sb;
} sru_cublas;

// sru_cublas_open fills lib from the library at path. It returns NULL on success, else a
// malloc'd message: dlerror's text is per thread, so it is copied in the same cgo call.
static char *sru_cublas_open(const char *path, sru_cublas *lib) {
	memset(lib, 0, sizeof *lib);
	lib->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (lib->lib == NULL) {
		const char *e = dlerror();
		return strdup(e != NULL ? e : "dlopen failed");
	}
#define SRU_SYM(field, name)                                  \
	*(void **)(&lib->field) = dlsym(lib->lib, name);          \
	if (lib->field == NULL) {                                 \
		char *msg = strdup("missing symbol " name);           \
		dlclose(lib->lib);                                    \
		lib->lib = NULL;                                      \
		return msg;                                           \
	}
	SRU_SYM(create, "cublasCreate_v2")
	SRU_SYM(destroy, "cublasDestroy_v2")
	SRU_SYM(set_stream, "cublasSetStream_v2")
	SRU_SYM(set_math_mode, "cublasSetMathMode")
	SRU_SYM(get_version, "cublasGetVersion_v2")
	SRU_SYM(sgemm, "cublasSgemm_v2")
	SRU_SYM(dgemm, "cublasDgemm_v2")
	SRU_SYM(sgemm_sb, "cublasSgemmStridedBatched")
	SRU_SYM(dgemm_sb, "cublasDgemmStridedBatched")
#undef SRU_SYM
	return NULL;
}

static int sru_cublas_create_handle(sru_cublas *lib, uintptr_t stream, int math_mode, uintptr_t *handle, int *version) {
	void *h = NULL;
	int st = lib->create(&h);
	if (st != 0) return st;
	if ((st = lib->set_stream(h, (void *)stream)) != 0 || (st = lib->set_math_mode(h, math_mode)) != 0 ||
	    (st = lib->get_version(h, version)) != 0) {
		lib->destroy(h);
		return st;
	}
	*handle = (uintptr_t)h;
	return 0;
}

static int sru_cublas_destroy_handle(sru_cublas *lib, uintptr_t h) { return lib->destroy((void *)h); }

// Column-major GEMMs; the caller has turned row-major into column-major by swapping A and B.
static int sru_sgemm(sru_cublas *lib, uintptr_t h, int ta, int tb, int m, int n, int k, float alpha,
		uintptr_t a, int lda, long long sa, uintptr_t b, int ldb, long long sb, float beta,
		uintptr_t c, int ldc, long long sc, int batch) {
	if (batch == 1)
		return lib->sgemm((void *)h, ta, tb, m, n, k, &alpha, (const float *)a, lda, (const float *)b, ldb,
			&beta, (float *)c, ldc);
	return lib->sgemm_sb((void *)h, ta, tb, m, n, k, &alpha, (const float *)a, lda, sa, (const float *)b, ldb,
		sb, &beta, (float *)c, ldc, sc, batch);
}

static int sru_dgemm(sru_cublas *lib, uintptr_t h, int ta, int tb, int m, int n, int k, double alpha,
		uintptr_t a, int lda, long long sa, uintptr_t b, int ldb, long long sb, double beta,
		uintptr_t c, int ldc, long long sc, int batch) {
	if (batch == 1)
		return lib->dgemm((void *)h, ta, tb, m, n, k, &alpha, (const double *)a, lda, (const double *)b, ldb,
			&beta, (double *)c, ldc);
	return lib->dgemm_sb((void *)h, ta, tb, m, n, k, &alpha, (const double *)a, lda, sa, (const double *)b, ldb,
		sb, &beta, (double *)c, ldc, sc, batch);
}

// Pinned host memory mapped into the device's address space: kernels store into it and the
// host reads it after a stream synchronize, with no copy call in between.
static int sru_host_alloc(size_t n, void **host, uintptr_t *dev) {
	int st = cuMemHostAlloc(host, n, CU_MEMHOSTALLOC_PORTABLE | CU_MEMHOSTALLOC_DEVICEMAP);
	if (st != 0) return st;
	memset(*host, 0, n);
	CUdeviceptr d;
	st = cuMemHostGetDevicePointer(&d, *host, 0);
	if (st != 0) {
		cuMemFreeHost(*host);
		return st;
	}
	*dev = (uintptr_t)d;
	return 0;
}

static int sru_host_free(void *host) { return cuMemFreeHost(host); }

static const char *sru_cu_error_name(int st) {
	const char *s = NULL;
	if (cuGetErrorName((CUresult)st, &s) != CUDA_SUCCESS) return NULL;
	return s;
}
*/
import "C"

import (
	"fmt"
	"os"
	"strings"
	"unsafe"

	"gorgonia.org/cu"
)

// cuBLAS enums.
const (
	cublasOpN            = 0
	cublasOpT            = 1
	cublasDefaultMath    = 0
	cublasTF32TensorMath = 3
)

// cublasLib is an opened cuBLAS: its path and its function pointers.
type cublasLib struct {
	path string
	c    *C.sru_cublas // C memory: Go code must not hold Go pointers for C
}

// openCublas opens cuBLAS: path if given (alone: silently taking another library would hide the
// mistake), else $SRU_CUBLAS, else the first of libcublas.so.13, .12, .11 that opens.
func openCublas(path string) (*cublasLib, error) {
	if path == "" {
		path = os.Getenv("SRU_CUBLAS")
	}
	paths := []string{"libcublas.so.13", "libcublas.so.12", "libcublas.so.11"}
	if path != "" {
		paths = []string{path}
	}
	c := (*C.sru_cublas)(C.calloc(1, C.size_t(unsafe.Sizeof(C.sru_cublas{}))))
	var tried []string
	for _, p := range paths {
		cp := C.CString(p)
		msg := C.sru_cublas_open(cp, c)
		C.free(unsafe.Pointer(cp))
		if msg == nil {
			return &cublasLib{path: p, c: c}, nil
		}
		tried = append(tried, C.GoString(msg))
		C.free(unsafe.Pointer(msg))
	}
	C.free(unsafe.Pointer(c))
	return nil, fmt.Errorf("cuda: cannot open cuBLAS (set SRU_CUBLAS to its path): %s", strings.Join(tried, "; "))
}

// streamHandle is the CUstream inside a cu.Stream (a struct of that one pointer; cu exports it
// only as its own cgo type), for cuBLAS.
func streamHandle(s cu.Stream) C.uintptr_t {
	return C.uintptr_t(*(*uintptr)(unsafe.Pointer(&s)))
}

// cu.Stream is exactly one pointer: either array length underflows otherwise.
var (
	_ [unsafe.Sizeof(cu.Stream{}) - unsafe.Sizeof(uintptr(0))]struct{}
	_ [unsafe.Sizeof(uintptr(0)) - unsafe.Sizeof(cu.Stream{})]struct{}
)

// newHandle makes a cuBLAS handle bound to stream s; tf32 lets SGEMM use TF32 tensor cores.
func (l *cublasLib) newHandle(s cu.Stream, tf32 bool) (uintptr, int, error) {
	mode := C.int(cublasDefaultMath)
	if tf32 {
		mode = cublasTF32TensorMath
	}
	var h C.uintptr_t
	var v C.int
	if st := C.sru_cublas_create_handle(l.c, streamHandle(s), mode, &h, &v); st != 0 {
		return 0, 0, fmt.Errorf("cuda: cuBLAS handle (%s): %s", l.path, cublasStatus(int(st)))
	}
	return uintptr(h), int(v), nil
}

func (l *cublasLib) destroy(h uintptr) error {
	if st := C.sru_cublas_destroy_handle(l.c, C.uintptr_t(h)); st != 0 {
		return fmt.Errorf("cuda: cublasDestroy: %s", cublasStatus(int(st)))
	}
	return nil
}

func cbool(b bool) C.int {
	if b {
		return cublasOpT
	}
	return cublasOpN
}

// gemm runs a column-major (strided batched when batch > 1) GEMM in float32 or float64.
func (l *cublasLib) gemm(f64 bool, h uintptr, ta, tb bool, m, n, k int, alpha float64, a uintptr, lda, sa int,
	b uintptr, ldb, sb int, beta float64, c uintptr, ldc, sc, batch int) int {
	if f64 {
		return int(C.sru_dgemm(l.c, C.uintptr_t(h), cbool(ta), cbool(tb), C.int(m), C.int(n), C.int(k),
			C.double(alpha), C.uintptr_t(a), C.int(lda), C.longlong(sa), C.uintptr_t(b), C.int(ldb), C.longlong(sb),
			C.double(beta), C.uintptr_t(c), C.int(ldc), C.longlong(sc), C.int(batch)))
	}
	return int(C.sru_sgemm(l.c, C.uintptr_t(h), cbool(ta), cbool(tb), C.int(m), C.int(n), C.int(k),
		C.float(alpha), C.uintptr_t(a), C.int(lda), C.longlong(sa), C.uintptr_t(b), C.int(ldb), C.longlong(sb),
		C.float(beta), C.uintptr_t(c), C.int(ldc), C.longlong(sc), C.int(batch)))
}

// cublasStatus names a cublasStatus_t.
func cublasStatus(st int) string {
	names := map[int]string{1: "NOT_INITIALIZED", 3: "ALLOC_FAILED", 7: "INVALID_VALUE", 8: "ARCH_MISMATCH",
		11: "MAPPING_ERROR", 13: "EXECUTION_FAILED", 14: "INTERNAL_ERROR", 15: "NOT_SUPPORTED", 16: "LICENSE_ERROR"}
	if s, ok := names[st]; ok {
		return fmt.Sprintf("CUBLAS_STATUS_%s (%d)", s, st)
	}
	return fmt.Sprintf("cuBLAS status %d", st)
}

// hostMem is pinned host memory that kernels can address (at dev).
type hostMem struct {
	host unsafe.Pointer
	dev  uintptr
	n    int
}

func allocHostMapped(n int) (hostMem, error) {
	var h unsafe.Pointer
	var d C.uintptr_t
	if st := C.sru_host_alloc(C.size_t(n), &h, &d); st != 0 {
		return hostMem{}, fmt.Errorf("cuda: cuMemHostAlloc of %d bytes: %v", n, cuError(int(st)))
	}
	return hostMem{host: h, dev: uintptr(d), n: n}, nil
}

func (m hostMem) free() error {
	if m.host == nil {
		return nil
	}
	if st := C.sru_host_free(m.host); st != 0 {
		return fmt.Errorf("cuda: cuMemFreeHost: %v", cuError(int(st)))
	}
	return nil
}

// cuError names a CUresult returned by the C side.
func cuError(st int) string {
	if s := C.sru_cu_error_name(C.int(st)); s != nil {
		return fmt.Sprintf("%s (%d)", C.GoString(s), st)
	}
	return fmt.Sprintf("CUresult %d", st)
}
