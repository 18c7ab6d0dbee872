package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosru/gosru/kernels"
)

// tinyOptions time tiny models a few times: these tests check that rows are complete and sane,
// never how fast anything is.
func tinyOptions(sizes ...Size) Options {
	return Options{Sizes: sizes, Warmup: 1, Reps: 3, PeakN: 64, CopyN: 1 << 12, Seed: 1}
}

var tinySizes = []Size{{L: 5, B: 3, D: 8, Layers: 1}, {L: 4, B: 2, D: 6, Layers: 2, Bidirectional: true}}

func runTiny(t *testing.T) *Report {
	t.Helper()
	rep, err := Run[float32](kernels.MustCPU[float32](), tinyOptions(tinySizes...))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestRunRowsCompleteAndSane(t *testing.T) {
	var progress []string
	opts := tinyOptions(tinySizes...)
	opts.Progress = func(r Row) { progress = append(progress, r.Model) }
	rep, err := Run[float32](kernels.MustCPU[float32](), opts)
	if err != nil {
		t.Fatal(err)
	}
	m := rep.Machine
	if m.Device == "" || m.Precision != "float32" || !(m.PeakGFLOP > 0) || !(m.CopyGBps > 0) {
		t.Errorf("machine %+v: want a device name and positive peaks", m)
	}
	// Every model at the unidirectional size; no convolution at the bidirectional one.
	want := []string{"sru", "lstm", "cnn", "sru", "lstm"}
	if len(rep.Rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rep.Rows), len(want))
	}
	if strings.Join(progress, ",") != strings.Join(want, ",") {
		t.Errorf("progress saw %v, want %v", progress, want)
	}
	for i, r := range rep.Rows {
		s := tinySizes[min(i/3, 1)]
		if r.Model != want[i] || r.size() != s {
			t.Errorf("row %d is %s at %v, want %s at %v", i, r.Model, r.size(), want[i], s)
		}
		if !(r.FwdMs > 0 && r.FwdBwdMs > 0 && r.GemmMs > 0 && r.GemmFwdMs > 0) {
			t.Errorf("%s at %v: times %g %g %g %g, want positive", r.Model, s, r.FwdMs, r.FwdBwdMs, r.GemmMs, r.GemmFwdMs)
		}
		for _, st := range []Stats{r.Fwd, r.FwdBwd, r.Gemm, r.GemmFwd} {
			if st.N != 3 || !(st.Min <= st.P25 && st.P25 <= st.Median && st.Median <= st.P75 && st.P75 <= st.Max) {
				t.Errorf("%s at %v: stats %+v out of order or not 3 reps", r.Model, s, st)
			}
		}
		// The backward's GEMMs are twice the forward's (dW and dX for each product), exactly
		// for SRU and the convolution; the LSTM's first step has no recurrent product forward
		// but dW_hh covers every step.
		if r.Model != "lstm" && math.Abs(r.GFLOP-3*r.GFLOPFwd) > 1e-9*r.GFLOP {
			t.Errorf("%s at %v: GEMM work fwd %g, fwd+bwd %g, want 1:3", r.Model, s, r.GFLOPFwd, r.GFLOP)
		}
		if !(r.GFLOPFwd > 0) || r.GFLOP < 2.5*r.GFLOPFwd {
			t.Errorf("%s at %v: GEMM work fwd %g, fwd+bwd %g: the backward's GEMMs are missing", r.Model, s, r.GFLOPFwd, r.GFLOP)
		}
		if !(r.RestGB > 0) || r.PctPeak < 0 || r.RestMs < 0 {
			t.Errorf("%s at %v: rest %g GB in %g ms, %g%% of peak", r.Model, s, r.RestGB, r.RestMs, r.PctPeak)
		}
		wantHidden := s.D
		if s.Bidirectional {
			wantHidden = s.D / 2
		}
		if r.Hidden != wantHidden {
			t.Errorf("%s at %v: hidden %d, want %d", r.Model, s, r.Hidden, wantHidden)
		}
	}
}

// TestGEMMWork pins the recorded GEMM work of one SRU layer to the formula: U = X·W with
// K = 3 blocks forward (2·n·D·3D), and dW and dX backward, twice that.
func TestGEMMWork(t *testing.T) {
	s := Size{L: 5, B: 3, D: 8, Layers: 1}
	opts := tinyOptions(s)
	opts.Models = []string{"sru", "cnn"}
	rep, err := Run[float64](kernels.MustCPU[float64](), opts)
	if err != nil {
		t.Fatal(err)
	}
	n, D := float64(s.L*s.B), float64(s.D)
	for _, r := range rep.Rows {
		want := 2 * n * D * 3 * D / 1e9 // SRU: K = 3 blocks; CNN: width 3
		if math.Abs(r.GFLOPFwd-want) > 1e-12 || math.Abs(r.GFLOP-3*want) > 1e-12 {
			t.Errorf("%s: GEMM GFLOP fwd %g, fwd+bwd %g; want %g, %g", r.Model, r.GFLOPFwd, r.GFLOP, want, 3*want)
		}
	}
}

func TestForwardBackwardSlowerThanForward(t *testing.T) {
	if testing.Short() {
		t.Skip("a timing comparison, which load from other processes can upset; skipped in -short mode")
	}
	// Big enough that the backward's work shows above timer noise, small enough for a test.
	opts := tinyOptions(Size{L: 32, B: 8, D: 64, Layers: 1})
	opts.Reps = 5
	rep, err := Run[float32](kernels.MustCPU[float32](), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Rows {
		if !(r.FwdBwdMs > r.FwdMs) {
			t.Errorf("%s: fwd+bwd %g ms is not above fwd %g ms", r.Model, r.FwdBwdMs, r.FwdMs)
		}
	}
}

func TestJSONRows(t *testing.T) {
	rep := runTiny(t)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, rep.Rows); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	lines := 0
	for sc.Scan() {
		var obj map[string]any
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatalf("line %d: %v: %s", lines+1, err, sc.Text())
		}
		for _, f := range []string{"model", "L", "B", "D", "layers", "bidirectional", "fwd_ms", "fwd_bwd_ms", "gemm_ms"} {
			if _, ok := obj[f]; !ok {
				t.Errorf("line %d lacks %q: %s", lines+1, f, sc.Text())
			}
		}
		r := rep.Rows[lines]
		if obj["model"] != r.Model || obj["L"] != float64(r.L) || obj["bidirectional"] != r.Bidirectional ||
			obj["fwd_bwd_ms"] != r.FwdBwdMs {
			t.Errorf("line %d: %s does not match row %+v", lines+1, sc.Text(), r)
		}
		lines++
	}
	if lines != len(rep.Rows) {
		t.Errorf("%d JSON lines for %d rows", lines, len(rep.Rows))
	}
}

func TestTableAndRatios(t *testing.T) {
	rep := runTiny(t)
	var buf bytes.Buffer
	if err := WriteTable(&buf, rep); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, s := range []string{"device: ", "GFLOP/s", "SRU", "LSTM", "CNN", "SRU speed-up"} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q:\n%s", s, out)
		}
	}
	q := Ratios(rep.Rows)
	if len(q) != 3 { // LSTM and CNN at the first size, LSTM at the bidirectional one
		t.Fatalf("ratios %+v, want 3", q)
	}
	r0 := rep.Rows[0]
	if q[0].Other != "lstm" || q[0].FwdBwd != rep.Rows[1].FwdBwdMs/r0.FwdBwdMs {
		t.Errorf("ratio %+v, want LSTM fwd+bwd over SRU's", q[0])
	}
}

func TestPlotFiles(t *testing.T) {
	rep := runTiny(t)
	dir := t.TempDir()
	png1 := filepath.Join(dir, "speed.png")
	if err := Plot(png1, rep); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(png1)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 200 {
		t.Errorf("PNG of %v", b)
	}
	svg := filepath.Join(dir, "speed.svg")
	if err := Plot(svg, rep); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("<svg")) || !bytes.Contains(data, []byte("LSTM")) {
		t.Errorf("SVG without <svg or the LSTM label (%d bytes)", len(data))
	}
	if err := Plot(filepath.Join(dir, "speed.gif"), rep); err == nil {
		t.Error("a .gif plot did not fail")
	}
}

func TestOptionErrors(t *testing.T) {
	dev := kernels.MustCPU[float32]()
	for name, o := range map[string]Options{
		"unknown model":     {Models: []string{"gru"}, Sizes: PaperSizes()},
		"model twice":       {Models: []string{"sru", "SRU"}, Sizes: PaperSizes()},
		"no sizes":          {},
		"odd bidirectional": {Sizes: []Size{{L: 2, B: 2, D: 5, Layers: 1, Bidirectional: true}}},
		"zero layers":       {Sizes: []Size{{L: 2, B: 2, D: 4}}},
	} {
		if _, err := Run[float32](dev, o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestSummarise(t *testing.T) {
	s := summarise([]float64{5, 1, 3, 2, 4})
	want := Stats{Median: 3, Min: 1, Max: 5, P25: 2, P75: 4, N: 5}
	if s != want {
		t.Errorf("summarise = %+v, want %+v", s, want)
	}
	if s := summarise([]float64{1, 2}); s.Median != 1.5 || s.P25 != 1.25 {
		t.Errorf("summarise of two = %+v", s)
	}
}

// TestReplays checks that the GEMM-only measurements replay exactly the recorded GEMMs: the
// forward's for the forward, all of them for forward+backward, also after timed steps.
func TestReplays(t *testing.T) {
	counter := &recorder[float64]{Device: kernels.MustCPU[float64](), on: true}
	s := Size{L: 4, B: 2, D: 6, Layers: 2}
	for _, spec := range modelSpecs {
		sub, err := newSubject[float64](counter, spec, s, tinyOptions(s), Machine{})
		if err != nil {
			t.Fatal(err)
		}
		sub.record()
		nAll := len(sub.rec.calls)
		for _, c := range []struct {
			task, want int
		}{{1, nAll}, {0, sub.nFwd}, {2, sub.nFwd}, {1, nAll}, {3, nAll}, {2, sub.nFwd}} {
			counter.calls = counter.calls[:0]
			sub.task(c.task)()
			if len(counter.calls) != c.want {
				t.Errorf("%s: task %d ran %d GEMMs, want %d", spec.name, c.task, len(counter.calls), c.want)
			}
		}
		if sub.nFwd == 0 || sub.nFwd >= nAll {
			t.Errorf("%s: %d GEMMs forward of %d", spec.name, sub.nFwd, nAll)
		}
	}
}
