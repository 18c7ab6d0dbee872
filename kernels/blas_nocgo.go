//go:build !cgo

package kernels

import "errors"

// Without cgo there is no dlopen, so OpenBLAS is never available and "auto" means gonum.
func loadOpenBLAS() (gemmBackend, error) {
	return nil, errors.New("kernels: cannot open OpenBLAS: this binary was built without cgo " +
		"(CGO_ENABLED=0); rebuild with cgo and install it with `apt-get install libopenblas0-pthread`")
}
