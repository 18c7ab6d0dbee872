package cuda

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// sourceHash is the SHA-256 over the CUDA sources in dir as scripts/build_kernels.sh computes
// it: for each *.cu and *.cuh file in byte order of names, "name\nsize\n" then its bytes.
func sourceHash(dir string) (string, error) {
	var names []string
	for _, pat := range []string{"*.cu", "*.cuh"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return "", err
		}
		names = append(names, m...)
	}
	sort.Slice(names, func(i, j int) bool { return filepath.Base(names[i]) < filepath.Base(names[j]) })
	h := sha256.New()
	for _, p := range names {
		b, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\n%d\n", filepath.Base(p), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// TestFatbinMatchesSources needs no GPU and no nvcc: it fails when a .cu/.cuh file changed
// after the committed kernels.fatbin was built, or when the fatbin is not the one recorded.
func TestFatbinMatchesSources(t *testing.T) {
	got, err := sourceHash(".")
	if err != nil {
		t.Fatal(err)
	}
	if got != fatbinSourceHash {
		t.Errorf("the CUDA sources have hash %s but kernels.fatbin was built from %s: run scripts/build_kernels.sh and commit kernels.fatbin and fatbin_gen.go", got, fatbinSourceHash)
	}
	bin, err := os.ReadFile("kernels.fatbin")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bin)
	if h := hex.EncodeToString(sum[:]); h != fatbinHash {
		t.Errorf("kernels.fatbin has hash %s, fatbin_gen.go records %s: rebuild with scripts/build_kernels.sh", h, fatbinHash)
	}
}
