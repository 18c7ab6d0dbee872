package report

import (
	"bytes"
	"image/png"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gosru/gosru/train"
	"gonum.org/v1/plot/plotter"
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

// variantRuns reads runs of the given experiments, each labelled with its model only (the
// dataset is the experiment's name without it) or with dataset too, logged as curveEvents do.
func variantRuns(t *testing.T, root string, dataset string, experiments ...string) []*Curves {
	t.Helper()
	var runs []*Curves
	for _, x := range experiments {
		experiment, id, _ := strings.Cut(x, "/")
		if id == "" {
			id = "s1"
		}
		model := "sru"
		if strings.Contains(experiment, "lstm") {
			model = "lstm"
		}
		labels := map[string]string{"model": model}
		if dataset != "" {
			labels["dataset"] = dataset
		}
		s := &train.Summary{Labels: labels, Device: "cpu", Selection: "bleu", Test: train.Metrics{"bleu": 20}}
		c, err := ReadCurves(writeRun(t, root, experiment, id, s, curveEvents(1, "bleu")), "")
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, c)
	}
	return runs
}

// legendOf lists a panel's legend labels and whether each line is dashed.
func legendOf(p *panel) (labels []string, dashed []bool) {
	for _, e := range p.legend {
		labels = append(labels, e.label)
		dashed = append(dashed, len(e.thumbs[0].(*plotter.Line).Dashes) > 0)
	}
	return labels, dashed
}

func TestReportOnePanel(t *testing.T) {
	root := t.TempDir()
	runs := variantRuns(t, root, "", "multi30k_lstm_cpu", "multi30k_sru_cpu", "multi30k_sru_3layer_cpu", "multi30k_lstm_nofeed_cpu")
	if runs[2].Experiment != "multi30k_sru_3layer_cpu" || runs[2].Dataset != "multi30k_3layer_cpu" {
		t.Fatalf("curves %+v: want the experiment from summary.json, the dataset without the model", runs[2])
	}
	figs, _, err := buildFigures(runs, FigureOptions{Panel: PanelAll})
	if err != nil {
		t.Fatal(err)
	}
	wantLabels := []string{"multi30k_sru_cpu", "multi30k_sru_3layer_cpu", "multi30k_lstm_cpu", "multi30k_lstm_nofeed_cpu"}
	wantDashed := []bool{false, true, false, true}
	for _, f := range figs {
		if len(f.panels) != 1 || f.panels[0].plot.Title.Text != "all runs" {
			t.Fatalf("%s: %d panels; want one titled all runs", f.name, len(f.panels))
		}
		labels, dashed := legendOf(f.panels[0])
		if !slices.Equal(labels, wantLabels) || !slices.Equal(dashed, wantDashed) {
			t.Errorf("%s: legend %v dashed %v; want %v %v", f.name, labels, dashed, wantLabels, wantDashed)
		}
		if v := f.panels[0].legend[1]; v.variant != 1 || v.thumbs[1].(*plotter.Scatter).Shape == variantShapes[0] {
			t.Errorf("%s: second SRU run: variant %d, want 1 and another marker", f.name, v.variant)
		}
	}
	out := filepath.Join(root, "figures")
	if _, _, err := WriteFigures(runs, FigureOptions{Dir: out, Formats: []string{"svg"}, Panel: PanelAll}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(out, ValidFigure+".svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range append(wantLabels, "all runs") {
		if n := strings.Count(string(data), ">"+want+"<"); n != 1 {
			t.Errorf("SVG shows %q %d times, want once", want, n)
		}
	}

	// By dataset (the default), the four runs fall in three panels. One panel of runs that share
	// their dataset is titled by it.
	figs, _, err = buildFigures(runs, FigureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(figs[0].panels); n != 3 {
		t.Errorf("by dataset: %d panels, want 3", n)
	}
	same := variantRuns(t, t.TempDir(), "multi30k", "multi30k_sru_cpu", "multi30k_lstm_cpu")
	if figs, _, err = buildFigures(same, FigureOptions{Panel: PanelAll}); err != nil || figs[0].panels[0].plot.Title.Text != "multi30k" {
		t.Errorf("one dataset in one panel: %v, want it titled multi30k", err)
	}
	if _, _, err := buildFigures(runs, FigureOptions{Panel: "grid"}); err == nil || !strings.Contains(err.Error(), `"grid"`) {
		t.Errorf("panel grid: %v", err)
	}
}

func TestReportSameModelInPanel(t *testing.T) {
	root := t.TempDir()
	// Two SRU experiments and two runs of one LSTM experiment in the panel of their dataset,
	// with one CNN run: its model's only run keeps the model's name.
	runs := variantRuns(t, root, "multi30k", "multi30k_sru_cpu", "multi30k_sru_3layer_cpu", "multi30k_lstm_cpu/seed1", "multi30k_lstm_cpu/seed2")
	cnn := *runs[0]
	cnn.Dir, cnn.Experiment, cnn.Model = filepath.Join(root, "multi30k_cnn", "s1"), "multi30k_cnn", "cnn"
	runs = append(runs, &cnn)
	figs, _, err := buildFigures(runs, FigureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantLabels := []string{"multi30k_sru_cpu", "multi30k_sru_3layer_cpu", "multi30k_lstm_cpu/seed1", "multi30k_lstm_cpu/seed2", "CNN"}
	wantDashed := []bool{false, true, false, true, false}
	for _, f := range figs {
		if len(f.panels) != 1 || f.panels[0].plot.Title.Text != "multi30k" {
			t.Fatalf("%s: %d panels, want one: multi30k", f.name, len(f.panels))
		}
		labels, dashed := legendOf(f.panels[0])
		if !slices.Equal(labels, wantLabels) || !slices.Equal(dashed, wantDashed) {
			t.Errorf("%s: legend %v dashed %v; want %v %v", f.name, labels, dashed, wantLabels, wantDashed)
		}
	}
	out := filepath.Join(root, "figures")
	if _, _, err := WriteFigures(runs, FigureOptions{Dir: out, Formats: []string{"svg"}}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(out, LossFigure+".svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range wantLabels {
		if !strings.Contains(string(data), ">"+want+"<") {
			t.Errorf("loss SVG: no legend entry %q", want)
		}
	}
	if !strings.Contains(string(data), "stroke-dasharray") {
		t.Error("loss SVG: no dashed line")
	}
}

func TestStepSecondsAxis(t *testing.T) {
	pts := []Point{{Step: 2, Seconds: 7, Value: 0.5}, {Step: 4, Seconds: 30, Value: 0.25}}
	run := &Curves{Dir: "runs/ptb_sru/s1", Experiment: "ptb_sru"}
	xsOf := func(a xAxis) []float64 {
		t.Helper()
		xys, err := a.xys(run, pts)
		if err != nil {
			t.Fatal(err)
		}
		var xs []float64
		for i, xy := range xys {
			if xy.Y != pts[i].Value {
				t.Errorf("y %v, want %v", xy.Y, pts[i].Value)
			}
			xs = append(xs, xy.X)
		}
		return xs
	}
	measured := map[string]float64{"ptb_sru": 0.25, "ptb_lstm": 1}
	for _, c := range []struct {
		axis  xAxis
		want  []float64
		label string
	}{
		{xAxis{}, []float64{7, 30}, "training time (s)"},
		{xAxis{stepSeconds: measured}, []float64{0.5, 1}, "training time at the measured step time (s)"},
		{xAxis{bySteps: true, stepSeconds: measured}, []float64{2, 4}, "training step"},
	} {
		if xs := xsOf(c.axis); !slices.Equal(xs, c.want) || c.axis.label() != c.label {
			t.Errorf("%+v: x %v label %q; want %v %q", c.axis, xs, c.axis.label(), c.want, c.label)
		}
	}
	_, err := xAxis{stepSeconds: map[string]float64{"ptb_lstm": 1}}.xys(run, pts)
	if err == nil || !strings.Contains(err.Error(), `"ptb_sru"`) || !strings.Contains(err.Error(), "--step-seconds") {
		t.Errorf("no entry for the run: %v", err)
	}

	// Through WriteFigures: the time axes are labelled; a run without an entry fails unless
	// both figures are drawn by steps.
	root := t.TempDir()
	runs := variantRuns(t, root, "", "ptb_sru", "ptb_lstm")
	out := filepath.Join(root, "figures")
	if _, _, err := WriteFigures(runs, FigureOptions{Dir: out, Formats: []string{"svg"}, StepSeconds: measured, LossBySteps: true}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(out, ValidFigure+".svg")); !bytes.Contains(data, []byte("at the measured step time")) {
		t.Error("validation figure: no measured-time axis")
	}
	if data, _ := os.ReadFile(filepath.Join(out, LossFigure+".svg")); !bytes.Contains(data, []byte("training step")) {
		t.Error("loss figure by steps: no step axis")
	}
	partial := map[string]float64{"ptb_sru": 0.25}
	if _, _, err := WriteFigures(runs, FigureOptions{Dir: out, Formats: []string{"svg"}, StepSeconds: partial, ValidBySteps: true}); err == nil ||
		!strings.Contains(err.Error(), `"ptb_lstm"`) || !strings.Contains(err.Error(), "--step-seconds") {
		t.Errorf("loss figure by time, ptb_lstm without an entry: %v", err)
	}
	if _, _, err := WriteFigures(runs, FigureOptions{Dir: out, Formats: []string{"svg"}, StepSeconds: partial, ValidBySteps: true, LossBySteps: true}); err != nil {
		t.Errorf("both figures by steps: %v", err)
	}
}

func TestParseStepSeconds(t *testing.T) {
	got, err := ParseStepSeconds("ptb_sru=0.25, ptb_lstm = 1.5e0,x=3")
	if want := map[string]float64{"ptb_sru": 0.25, "ptb_lstm": 1.5, "x": 3}; err != nil || !maps.Equal(got, want) {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
	for _, c := range []struct{ value, entry, why string }{
		{"", `""`, "NAME=SECONDS"},
		{"ptb_sru", `"ptb_sru"`, "NAME=SECONDS"},
		{"a=1,", `""`, "NAME=SECONDS"},
		{"a=1,=2", `"=2"`, "NAME=SECONDS"},
		{"a=", `"a="`, "positive finite"},
		{"a=x", `"a=x"`, "positive finite"},
		{"a=1,b=0", `"b=0"`, "positive finite"},
		{"a=-1", `"a=-1"`, "positive finite"},
		{"a=NaN", `"a=NaN"`, "positive finite"},
		{"a=+Inf", `"a=+Inf"`, "positive finite"},
		{"a=1e999", `"a=1e999"`, "positive finite"},
		{"a=1,b=2,a=3", `"a=3"`, "named twice"},
	} {
		_, err := ParseStepSeconds(c.value)
		if err == nil || !strings.Contains(err.Error(), "--step-seconds entry "+c.entry) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("ParseStepSeconds(%q): %v; want entry %s: %s", c.value, err, c.entry, c.why)
		}
	}
}

// FuzzParseStepSeconds: any flag value is parsed or refused, never a panic; what is accepted
// has one non-empty name per entry and positive finite seconds.
func FuzzParseStepSeconds(f *testing.F) {
	for _, s := range []string{"a=1", "a=0.5,b=2", " a = 1 ", "a", "=", "a=1,a=2", "a=NaN", "a=-0", "a=0x1p-3", "a=1,,b=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseStepSeconds(s)
		if err != nil {
			if m != nil || !strings.HasPrefix(err.Error(), "report: --step-seconds entry ") {
				t.Fatalf("%q: %v with %v", s, err, m)
			}
			return
		}
		if len(m) != strings.Count(s, ",")+1 {
			t.Fatalf("%q: %d names for %d entries", s, len(m), strings.Count(s, ",")+1)
		}
		for name, v := range m {
			if name == "" || strings.ContainsAny(name, ",") || !(v > 0) || math.IsInf(v, 0) {
				t.Fatalf("%q: %q=%v", s, name, v)
			}
		}
	})
}
