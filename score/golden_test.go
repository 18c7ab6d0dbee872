package score

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gosru/gosru/golden"
)

// eachGolden runs f on every *.json case of the golden directory, one subtest per file named
// after it. A missing or empty directory fails the test.
func eachGolden(t *testing.T, envVar, sub string, f func(t *testing.T, raw []byte)) {
	t.Helper()
	dir, _, err := golden.CaseDir(envVar, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("golden cases: %v (set %s)", err, envVar)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no golden cases in %s (set %s)", dir, envVar)
	}
	runCaseFiles(t, files, f)
}

// runCaseFiles runs f on each file, one subtest per file named after it.
func runCaseFiles(t *testing.T, files []string, f func(t *testing.T, raw []byte)) {
	t.Helper()
	sort.Strings(files)
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".json"), func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f(t, raw)
		})
	}
}
