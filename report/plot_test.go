package report

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gosru/gosru/train"
)

// curveEvents is a run's log: a training loss event per step, a validation evaluation every
// other step, then the test evaluation and the end, as the training loop writes them.
func curveEvents(secsPerStep float64, metric string) []train.Event {
	var ev []train.Event
	for step := 1; step <= 6; step++ {
		ts := float64(step) * secsPerStep
		ev = append(ev, train.Event{Event: "train", Step: step, Loss: 2 / float64(step), TrainSeconds: ts, Wall: ts + 1})
		if step%2 == 0 {
			ev = append(ev, train.Event{Event: "eval", Split: "valid", Step: step, TrainSeconds: ts, Wall: ts + 2,
				Metrics: train.Metrics{metric: 0.5 + float64(step)/20, "loss": 1 / float64(step)}})
		}
	}
	return append(ev,
		train.Event{Event: "eval", Split: "test", Step: 6, Metrics: train.Metrics{metric: 0.1}, TrainSeconds: 6 * secsPerStep},
		train.Event{Event: "end", Step: 6, TrainSeconds: 6 * secsPerStep})
}

func TestReport(t *testing.T) {
	root := t.TempDir()
	sruDir := writeRun(t, root, "trec_sru", "s1", classification(map[string]string{"dataset": "trec", "model": "sru"}, 0.9, 1), curveEvents(0.5, "accuracy"))
	writeRun(t, root, "trec_lstm", "s1", classification(map[string]string{"dataset": "trec", "model": "lstm"}, 0.9, 1), curveEvents(2, "accuracy"))
	// Unfinished, no labels: named by its experiment, its metric guessed from the log.
	running := writeRun(t, root, "subj_cnn", "s1", nil, curveEvents(0.25, "accuracy"))
	// Finished long ago with no log: skipped.
	noLog := writeRun(t, root, "subj_sru", "s1", classification(nil, 0.9, 1), nil)

	dirs, err := FindRuns([]string{root})
	if err != nil {
		t.Fatal(err)
	}
	runs, skipped, err := ReadAllCurves(dirs, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 || len(skipped) != 1 || skipped[0].Dir != noLog {
		t.Fatalf("%d runs, skipped %+v; want 3 runs and %s skipped", len(runs), skipped, noLog)
	}
	for _, r := range runs {
		if r.Dir == sruDir {
			want := []Point{{2, 1, 0.6}, {4, 2, 0.7}, {6, 3, 0.8}}
			if r.Dataset != "trec" || r.Model != "sru" || r.Metric != "accuracy" || !slices.Equal(r.Valid, want) || len(r.Loss) != 6 {
				t.Errorf("SRU curves %+v; want valid %v (test evaluation left out)", r, want)
			}
		}
		if r.Dir == running && (r.Dataset != "subj" || r.Model != "cnn" || r.Metric != "accuracy" || len(r.Valid) != 3) {
			t.Errorf("unfinished run's curves %+v", r)
		}
	}

	out := filepath.Join(root, "figures")
	written, more, err := WriteFigures(runs, FigureOptions{Dir: out, Formats: []string{"png", "svg"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(more) != 0 {
		t.Errorf("skipped while drawing: %+v", more)
	}
	var want []string
	for _, f := range []string{ValidFigure, LossFigure} {
		want = append(want, filepath.Join(out, f+".png"), filepath.Join(out, f+".svg"))
	}
	if !slices.Equal(written, want) {
		t.Errorf("wrote %v, want %v", written, want)
	}
	for _, f := range want {
		data, err := os.ReadFile(f)
		if err != nil || len(data) == 0 {
			t.Fatalf("%s: %v, %d bytes", f, err, len(data))
		}
		if strings.HasSuffix(f, ".png") {
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Errorf("%s: %v", f, err)
			} else if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 300 {
				t.Errorf("%s: %v, want two panels side by side", f, b)
			}
		} else if s := string(data); !strings.HasPrefix(s, "<?xml") && !strings.HasPrefix(s, "<svg") ||
			!strings.Contains(s, "Validation accuracy") && !strings.Contains(s, "Training loss") {
			t.Errorf("%s: not an SVG with its title: %.80q", f, s)
		}
	}
}

func TestReportOptions(t *testing.T) {
	root := t.TempDir()
	a := writeRun(t, root, "ptb_sru", "s1", nil, curveEvents(1, "perplexity"))
	// Only training events: drawn in the loss figure, skipped in the validation one.
	b := writeRun(t, root, "ptb_lstm", "s1", nil, curveEvents(1, "perplexity")[:1])
	var runs []*Curves
	for _, d := range []string{a, b} {
		c, err := ReadCurves(d, "perplexity")
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, c)
	}
	out := filepath.Join(root, "svg")
	written, skipped, err := WriteFigures(runs, FigureOptions{Dir: out, Formats: []string{"svg"}, LossBySteps: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != 2 || len(skipped) != 1 || skipped[0].Dir != b || !strings.HasPrefix(skipped[0].Reason, ValidFigure) {
		t.Errorf("wrote %v, skipped %+v", written, skipped)
	}
	if data, _ := os.ReadFile(filepath.Join(out, LossFigure+".svg")); !bytes.Contains(data, []byte("training step")) {
		t.Errorf("loss by steps: no step axis")
	}
	if data, _ := os.ReadFile(filepath.Join(out, ValidFigure+".svg")); bytes.Contains(data, []byte("training step")) {
		t.Errorf("validation by time: a step axis")
	}
	if _, _, err := WriteFigures(runs, FigureOptions{Dir: out, Formats: []string{"svg"}, ValidBySteps: true}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(out, ValidFigure+".svg")); !bytes.Contains(data, []byte("training step")) {
		t.Errorf("validation by steps: no step axis")
	}

	// Panels of one dataset must show one metric.
	c, err := ReadCurves(b, "loss")
	if err != nil {
		t.Fatal(err)
	}
	c.Valid = []Point{{1, 1, 1}}
	if _, _, err := WriteFigures([]*Curves{runs[0], c}, FigureOptions{Dir: out, Formats: []string{"svg"}}); err == nil ||
		!strings.Contains(err.Error(), "different metrics") {
		t.Errorf("mixed metrics in a panel: %v", err)
	}
	// Nothing to draw, a bad format, a run with no log.
	empty := &Curves{Dir: "x", Dataset: "d", Model: "sru"}
	if _, _, err := WriteFigures([]*Curves{empty}, FigureOptions{Dir: out, Formats: []string{"svg"}}); err == nil {
		t.Error("nothing to draw: no error")
	}
	if _, _, err := WriteFigures(runs, FigureOptions{Dir: out, Formats: []string{"gif"}}); err == nil {
		t.Error("gif: no error")
	}
	if _, err := Formats("jpeg"); err == nil {
		t.Error("Formats(jpeg): no error")
	}
	if _, err := ReadCurves(t.TempDir(), ""); err == nil || !strings.HasPrefix(err.Error(), "report: ") {
		t.Errorf("no metrics.jsonl: %v", err)
	}
}
