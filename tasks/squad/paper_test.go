package squad

import (
	"math"
	"testing"

	"github.com/gosru/gosru/experiments"
	"github.com/gosru/gosru/internal/devcheck"
	"github.com/gosru/gosru/kernels"
)

// TestPaperConfigsRun loads the paper-size experiment files (GPU-scale, never trained here in
// full), checks that they are the official readers, and trains each for 2 steps in float32
// through the loop on the shipped dev slice (POS and NER tags included), then evaluates it and
// writes its predictions: the loss starts near that of uniform start and end scores, and the
// dev scores are numbers.
func TestPaperConfigsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("paper-size readers in -short mode")
	}
	data := sliceDataDir(t)
	dev := kernels.MustCPU[float32]()
	for _, model := range []string{"sru", "lstm"} {
		t.Run(model, func(t *testing.T) {
			e, err := experiments.Load("../../experiments/squad/squad_"+model+"_paper.toml", []string{"data_dir=" + data,
				"squad.train_file=slice.json", "squad.dev_file=slice.json", "squad.cache_dir=" + t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			c, ok := experiments.Section[Config](e)
			if !ok {
				t.Fatalf("%s: not a squad experiment", e.Name)
			}
			official := c.Hidden == 128 && c.EmbeddingDim == 300 && c.BatchSize == 32 && c.POS && c.NER &&
				c.DropoutOutput && c.AlignedEmbedding && e.Train.Optimizer == "adamax" && e.Train.ClipGradNorm == 20
			switch model {
			case "sru": // the SRU repository's DrQA/: 5 + 5 SRU layers, top layer handed on
				official = official && c.DocLayers == 5 && c.QuestionLayers == 5 && !c.ConcatLayers &&
					c.SRU.DropoutTop && c.DropoutEmb == 0.5 && c.DropoutRNN == 0.2 && e.Train.LR == 0.001
			case "lstm": // DrQA's own reader: 3 + 3 LSTM layers, every layer concatenated
				official = official && c.DocLayers == 3 && c.QuestionLayers == 3 && c.ConcatLayers &&
					c.LSTM.DropoutInput && c.DropoutEmb == 0.3 && c.DropoutRNN == 0.3 && e.Train.LR == 0.002
			}
			if !official {
				t.Fatalf("not the official reader: %+v %+v", c, e.Train)
			}
			task, _, err := experiments.NewTask(e, dev)
			if err != nil {
				t.Fatal(err)
			}
			cfg := e.Train
			cfg.MaxSteps, cfg.EvalEverySteps, cfg.LogEverySteps = 2, 2, 1
			r := devcheck.Train(t, task, dev, cfg, e.Seed)
			losses := r.Losses
			// Uniform start and end scores over a passage of ~100–300 tokens: 2·ln L ≈ 9–11.4.
			if len(losses) != 2 || !(losses[0] > 7 && losses[0] < 13) || math.IsNaN(losses[1]) {
				t.Errorf("training losses %v", losses)
			}
			f1, ok1 := r.Evals["valid@2 f1"]
			em, ok2 := r.Evals["valid@2 exact_match"]
			if !ok1 || !ok2 || !(f1 >= em && em >= 0 && f1 <= 100) || r.Predictions["valid"] == "" {
				t.Errorf("dev scores %v; predictions %.100q", r.Evals, r.Predictions["valid"])
			}
			t.Logf("%d parameters; losses %.3f; dev %v", task.Params().Count(), losses, r.Evals)
		})
	}
}
