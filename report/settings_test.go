package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompareSplitsSettings: runs of one dataset and model that differ in a setting (epochs)
// are grouped apart, with a note; seed and fold do not split; a repeated seed is noted.
func TestCompareSplitsSettings(t *testing.T) {
	root := t.TempDir()
	config := func(dir string, seed, epochs, fold int) {
		text := fmt.Sprintf("name = \"x\"\ntask = \"classification\"\nseed = %d\nruns_dir = \"r\"\n\n[train]\n  epochs = %d\n  lr = 0.001\n\n[classification]\n  dataset = \"cr\"\n  fold = %d\n  widths = [3, 4]\n",
			seed, epochs, fold)
		if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	labels := map[string]string{"dataset": "cr", "model": "sru"}
	for i, c := range []struct{ seed, epochs, fold int }{{1, 3, 0}, {2, 3, 1}, {1, 6, 0}, {1, 6, 0}, {1, 6, 0}} {
		s := classification(labels, 0.7+0.01*float64(i), 2)
		s.Seed = uint64(c.seed)
		dir := writeRun(t, root, "cr_sru", fmt.Sprint("run", i), s, nil)
		config(dir, c.seed, c.epochs, c.fold)
	}
	dirs, err := FindRuns([]string{root})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := Compare(dirs)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Groups) != 2 {
		t.Fatalf("%d groups, want 2 (3 and 6 epochs)", len(tab.Groups))
	}
	if g := tab.Groups[0]; g.Variant != "train.epochs=3" || g.N != 2 || g.Dataset != "cr (train.epochs=3)" {
		t.Fatalf("first group %+v", g)
	}
	if g := tab.Groups[1]; g.Variant != "train.epochs=6" || g.N != 3 {
		t.Fatalf("second group %+v", g)
	}
	notes := strings.Join(tab.Notes, "\n")
	if !strings.Contains(notes, "cr SRU: the runs differ in train.epochs") ||
		!strings.Contains(notes, "cr SRU (train.epochs=6): seed 1 fold 0 appears in 3 runs") ||
		strings.Contains(notes, "epochs=3): seed") {
		t.Fatalf("notes:\n%s", notes)
	}
}
