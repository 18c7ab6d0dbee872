//go:build cgo

package kernels

// OpenBLAS is opened with dlopen at run time rather than linked at build time, so that one
// binary builds everywhere (no -lopenblas, no headers) and uses OpenBLAS wherever it happens
// to be installed. The C side is only thin shims that call through resolved function pointers.

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

// CBLAS enums are C ints; blasint is int in stock (non-INTERFACE64) OpenBLAS builds.
typedef void (*sru_sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
	const float *, int, float, float *, int);
typedef void (*sru_dgemm_fn)(int, int, int, int, int, int, double, const double *, int,
	const double *, int, double, double *, int);

enum { sruRowMajor = 101 };

static void sru_sgemm(void *f, int ta, int tb, int m, int n, int k, float alpha,
		const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
	((sru_sgemm_fn)f)(sruRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static void sru_dgemm(void *f, int ta, int tb, int m, int n, int k, double alpha,
		const double *a, int lda, const double *b, int ldb, double beta, double *c, int ldc) {
	((sru_dgemm_fn)f)(sruRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static void sru_call_int(void *f, int v) { ((void (*)(int))f)(v); }
static int sru_call_ret_int(void *f) { return ((int (*)(void))f)(); }
static const char *sru_call_ret_str(void *f) { return ((const char *(*)(void))f)(); }

// dlerror's message is per OS thread and the goroutine may change threads between two cgo
// calls, so dlopen and the copy of its error happen in one call. *err is malloc'd or NULL.
static void *sru_dlopen(const char *path, char **err) {
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	*err = NULL;
	if (h == NULL) {
		const char *e = dlerror();
		*err = strdup(e != NULL ? e : "unknown dlopen error");
	}
	return h;
}
*/
import "C"

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"unsafe"
)

const (
	cblasNoTrans = 111
	cblasTrans   = 112
)

type openBLAS struct {
	sgemmFn, dgemmFn unsafe.Pointer
	desc             string
}

// loadOpenBLAS opens and configures the library; openOpenBLAS calls it once per process.
func loadOpenBLAS() (gemmBackend, error) {
	// An explicit path is tried alone: silently taking another library instead would hide
	// the mistake.
	paths := []string{"libopenblas.so.0", "libopenblas.so"}
	// OpenBLAS's idle threads spin for ~2^28 cycles after each call before they sleep; in
	// gosru a GEMM is followed by the worker pool's fused kernels, which that spinning would
	// starve of cores. 2^4 cycles makes them yield at once. The library reads the variable
	// when it is loaded; a user's own setting wins.
	if os.Getenv("OPENBLAS_THREAD_TIMEOUT") == "" {
		os.Setenv("OPENBLAS_THREAD_TIMEOUT", "4")
	}
	if p := os.Getenv("SRU_OPENBLAS"); p != "" {
		paths = []string{p}
	}
	var h unsafe.Pointer
	var opened string
	var tried []string
	for _, p := range paths {
		cp := C.CString(p)
		var cerr *C.char
		h = C.sru_dlopen(cp, &cerr)
		C.free(unsafe.Pointer(cp))
		if h != nil {
			opened = p
			break
		}
		tried = append(tried, fmt.Sprintf("%s: %s", p, C.GoString(cerr)))
		C.free(unsafe.Pointer(cerr))
	}
	if h == nil {
		return nil, fmt.Errorf("kernels: cannot open OpenBLAS (tried %s); install it with "+
			"`apt-get install libopenblas0-pthread`, or set SRU_OPENBLAS to the library's path",
			strings.Join(tried, "; "))
	}
	sym := func(name string) unsafe.Pointer {
		cn := C.CString(name)
		defer C.free(unsafe.Pointer(cn))
		return C.dlsym(h, cn)
	}
	lib := &openBLAS{sgemmFn: sym("cblas_sgemm"), dgemmFn: sym("cblas_dgemm")}
	setThreads := sym("openblas_set_num_threads")
	getConfig := sym("openblas_get_config")
	if lib.sgemmFn == nil || lib.dgemmFn == nil || setThreads == nil || getConfig == nil {
		// Not OpenBLAS, or a build without CBLAS. The handle stays open: dlclose of a library
		// that may have started threads is not worth the risk.
		return nil, fmt.Errorf("kernels: %s lacks cblas_sgemm, cblas_dgemm, "+
			"openblas_set_num_threads or openblas_get_config; install the stock OpenBLAS with "+
			"`apt-get install libopenblas0-pthread`", opened)
	}

	threads := runtime.NumCPU()
	if s := os.Getenv("SRU_BLAS_THREADS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			return nil, fmt.Errorf("kernels: SRU_BLAS_THREADS=%q is not a positive integer", s)
		}
		threads = v
	}
	C.sru_call_int(setThreads, C.int(threads))
	if f := sym("openblas_get_num_threads"); f != nil {
		threads = int(C.sru_call_ret_int(f)) // the library caps it at its MAX_THREADS
	}

	// The config string reads like "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ... Haswell ...".
	parts := []string{"openblas"}
	cfg := strings.Fields(C.GoString(C.sru_call_ret_str(getConfig)))
	if len(cfg) >= 2 && strings.EqualFold(cfg[0], "OpenBLAS") {
		parts = append(parts, cfg[1])
	}
	if f := sym("openblas_get_corename"); f != nil {
		parts = append(parts, C.GoString(C.sru_call_ret_str(f)))
	}
	if f := sym("openblas_get_parallel"); f != nil {
		switch C.sru_call_ret_int(f) {
		case 0:
			parts = append(parts, "serial")
		case 1:
			parts = append(parts, "pthread")
		case 2:
			parts = append(parts, "openmp")
		}
	}
	lib.desc = fmt.Sprintf("%s, %d threads", strings.Join(parts, " "), threads)
	return lib, nil
}

func (o *openBLAS) name() string { return o.desc }

func cblasOp(t bool) C.int {
	if t {
		return cblasTrans
	}
	return cblasNoTrans
}

func (o *openBLAS) sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	// All are non-negative, so the OR exceeds int32 exactly when one of them does; such
	// sizes would overflow OpenBLAS's 32-bit integers, and gonum takes them instead.
	if m|n|k|lda|ldb|ldc > math.MaxInt32 {
		gonumParallelGemm{}.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	C.sru_sgemm(o.sgemmFn, cblasOp(transA), cblasOp(transB), C.int(m), C.int(n), C.int(k),
		C.float(alpha), (*C.float)(unsafe.Pointer(&a[0])), C.int(lda),
		(*C.float)(unsafe.Pointer(&b[0])), C.int(ldb),
		C.float(beta), (*C.float)(unsafe.Pointer(&c[0])), C.int(ldc))
}

func (o *openBLAS) dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if m|n|k|lda|ldb|ldc > math.MaxInt32 {
		gonumParallelGemm{}.dgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	C.sru_dgemm(o.dgemmFn, cblasOp(transA), cblasOp(transB), C.int(m), C.int(n), C.int(k),
		C.double(alpha), (*C.double)(unsafe.Pointer(&a[0])), C.int(lda),
		(*C.double)(unsafe.Pointer(&b[0])), C.int(ldb),
		C.double(beta), (*C.double)(unsafe.Pointer(&c[0])), C.int(ldc))
}
