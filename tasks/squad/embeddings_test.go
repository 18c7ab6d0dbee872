package squad

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/train"
)

// writeGloVe writes a GloVe text file with a vector for every other word of the slice.
func writeGloVe(t *testing.T, dir string, dim int) string {
	ds, err := OpenDataset(filepath.Join("testdata", "dev-slice.json"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var sb strings.Builder
	n := 0
	for _, p := range ds.Paragraphs {
		for _, tok := range Tokenize(p.Context) {
			if seen[tok.Text] {
				continue
			}
			seen[tok.Text] = true
			if n++; n%2 == 0 {
				continue
			}
			sb.WriteString(tok.Text)
			for k := 0; k < dim; k++ {
				fmt.Fprintf(&sb, " %.3f", float64((n*7+k*3)%11)/10-0.5)
			}
			sb.WriteByte('\n')
		}
	}
	path := filepath.Join(dir, "vectors.txt")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTunePartial trains with fixed pretrained vectors: the rows of <unk> and the most
// frequent question words change, the fixed table does not, and it holds the file's vectors.
func TestTunePartial(t *testing.T) {
	dir := sliceDataDir(t)
	cfg := tinyConfig("sru")
	cfg.Embeddings, cfg.TunePartial = writeGloVe(t, t.TempDir(), cfg.EmbeddingDim), 10
	task, err := New(cfg, dir, kernels.MustCPU[float32](), 1)
	if err != nil {
		t.Fatal(err)
	}
	if task.model.fixed == nil || task.model.emb.Rows() != 11 || task.stats.Pretrained == 0 {
		t.Fatalf("tuned rows %d, fixed %v, pretrained %d", task.model.emb.Rows(), task.model.fixed, task.stats.Pretrained)
	}
	fixedBefore := slices.Clone(task.model.fixed.Data.Host())
	tunedBefore := slices.Clone(task.model.emb.Data.Host())
	tc := train.DefaultConfig()
	tc.Epochs, tc.Optimizer, tc.LR, tc.ClipGradNorm = 1, "adamax", 0.002, 20
	rd, err := train.NewRunDir(t.TempDir(), "squad", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	run := &train.Run[float32]{Dir: rd, Experiment: "squad", ConfigTOML: "#\n", Cfg: tc, Seed: 1,
		Labels: task.Labels(), Task: task, Dev: task.dev}
	if _, err := run.Train(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fixedBefore, task.model.fixed.Data.Host()) {
		t.Error("the fixed pretrained table changed in training")
	}
	if slices.Equal(tunedBefore, task.model.emb.Data.Host()) {
		t.Error("the tuned rows did not change in training")
	}
}
