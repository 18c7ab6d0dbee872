package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gosru/gosru/bench"
	"github.com/gosru/gosru/kernels"
)

func init() {
	register(&command{
		name:    "bench",
		summary: "time SRU, LSTM and CNN as in the paper's speed figure",
		run:     runBench,
	})
}

const benchUsage = `bench [flags]

Times one mini-batch through SRU, LSTM and a width-3 convolution, forward and forward+backward,
beside the GEMMs each model runs and the machine's measured GEMM peak and copy bandwidth.
The default sizes are the paper's: batch 32, one layer, (L, D) = (32, 256) and (128, 512).
Bidirectional RNNs get D/2 hidden units per direction; the convolution is not timed there.`

// benchFlags are the parsed flags of sru bench.
type benchFlags struct {
	device, sizes, models, precision, jsonOut, plotOut string
	L, B, D, layers, reps, warmup                      int
	bidirectional                                      bool
	custom                                             bool // a size flag was given
}

func runBench(e *env, args []string) error {
	var f benchFlags
	fs := newFlags(e, "bench", benchUsage)
	fs.StringVar(&f.device, "device", "cpu", "device: cpu or cuda")
	fs.StringVar(&f.sizes, "sizes", "paper", "size set: paper (the figure's two sizes) or all (adds 4 layers, 2 bidirectional layers and L=256 B=64 D=1024 ×2 layers)")
	fs.IntVar(&f.L, "L", 128, "time steps of one custom size (setting any of L, B, D, layers, bidirectional replaces --sizes)")
	fs.IntVar(&f.B, "B", 32, "batch of the custom size")
	fs.IntVar(&f.D, "D", 512, "width of the custom size")
	fs.IntVar(&f.layers, "layers", 1, "layers of the custom size")
	fs.BoolVar(&f.bidirectional, "bidirectional", false, "make the custom size's RNNs bidirectional (D/2 per direction)")
	fs.IntVar(&f.reps, "reps", 0, "timed steps per measurement; 0: at least 10 and 1 s each, at most 200")
	fs.IntVar(&f.warmup, "warmup", 3, "untimed steps before each measurement")
	fs.StringVar(&f.jsonOut, "json", "", "write one JSON object per model and size to `FILE` (- for stdout; the table then goes to stderr)")
	fs.StringVar(&f.plotOut, "plot", "", "draw the figure to `FILE` (.png or .svg)")
	fs.StringVar(&f.models, "models", strings.Join(bench.Models(), ","), "comma-separated models to time")
	fs.StringVar(&f.precision, "precision", "float32", "element type: float32 (float64 for checks)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	sizesSet := false
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "L", "B", "D", "layers", "bidirectional":
			f.custom = true
		case "sizes":
			sizesSet = true
		}
	})
	if f.custom && sizesSet {
		return usagef("--sizes and a custom size (--L, --B, --D, --layers, --bidirectional) exclude each other")
	}
	opts, err := f.options()
	if err != nil {
		return err
	}
	if ext := strings.ToLower(filepath.Ext(f.plotOut)); f.plotOut != "" && ext != ".png" && ext != ".svg" {
		return usagef("--plot %s: want a .png or .svg file", f.plotOut)
	}
	switch f.precision {
	case "float32":
		return benchOn[float32](e, &f, opts)
	case "float64":
		return benchOn[float64](e, &f, opts)
	}
	return usagef("--precision %q: want float32 or float64", f.precision)
}

// probeSizes override the sizes of the machine measurements (0: bench's defaults); tests
// shrink them.
var probeSizes struct{ peakN, copyN int }

// options turns the flags into bench options.
func (f *benchFlags) options() (bench.Options, error) {
	opts := bench.Options{Warmup: f.warmup, Reps: f.reps, Seed: 1, PeakN: probeSizes.peakN, CopyN: probeSizes.copyN}
	if f.warmup < 0 || f.reps < 0 {
		return opts, usagef("--warmup and --reps must be >= 0")
	}
	for _, m := range strings.Split(f.models, ",") {
		if m = strings.TrimSpace(m); m == "" {
			continue
		}
		if !slices.Contains(bench.Models(), m) {
			return opts, usagef("--models: unknown model %q (want %s)", m, strings.Join(bench.Models(), ", "))
		}
		opts.Models = append(opts.Models, m)
	}
	if len(opts.Models) == 0 {
		return opts, usagef("--models: no model named")
	}
	switch {
	case f.custom:
		s := bench.Size{L: f.L, B: f.B, D: f.D, Layers: f.layers, Bidirectional: f.bidirectional}
		if err := s.Validate(); err != nil {
			return opts, usagef("%v", err)
		}
		opts.Sizes = []bench.Size{s}
	case f.sizes == "paper":
		opts.Sizes = bench.PaperSizes()
	case f.sizes == "all":
		opts.Sizes = bench.AllSizes()
	default:
		return opts, usagef("--sizes %q: want paper or all", f.sizes)
	}
	return opts, nil
}

// benchOn runs the benchmark in precision T and writes its outputs.
func benchOn[T kernels.Float](e *env, f *benchFlags, opts bench.Options) (err error) {
	dev, err := openDevice[T](f.device)
	if err != nil {
		return err
	}
	defer closeDevice(dev, &err)
	// The device line comes once, at the head of the table.
	if e.stderrIsTerminal {
		fmt.Fprintln(e.stderr, "measuring the machine's GEMM peak and copy bandwidth...")
		opts.Progress = func(r bench.Row) {
			dir := ""
			if r.Bidirectional {
				dir = " bidirectional"
			}
			fmt.Fprintf(e.stderr, "  %-4s L=%d B=%d D=%d layers=%d%s: fwd %.2f ms, fwd+bwd %.2f ms, GEMMs %.2f ms\n",
				r.Model, r.L, r.B, r.D, r.Layers, dir, r.FwdMs, r.FwdBwdMs, r.GemmMs)
		}
	}
	rep, err := bench.Run(dev, opts)
	if err != nil {
		return err
	}
	capPeak(e, rep)
	table := e.stdout
	switch f.jsonOut {
	case "":
	case "-":
		table = e.stderr
		if err := bench.WriteJSON(e.stdout, rep.Rows); err != nil {
			return err
		}
	default:
		if err := writeFile(f.jsonOut, func(w io.Writer) error { return bench.WriteJSON(w, rep.Rows) }); err != nil {
			return err
		}
	}
	if err := bench.WriteTable(table, rep); err != nil {
		return err
	}
	worst := 0.0
	for _, r := range rep.Rows {
		worst = max(worst, r.OtherCPUPct)
	}
	if worst > 10 {
		fmt.Fprintf(e.stderr, "note: other processes took up to %.0f%% of the CPU time during the measurements: the times are disturbed\n", worst)
	}
	if f.plotOut != "" {
		if err := bench.Plot(f.plotOut, rep); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "wrote %s\n", f.plotOut)
	}
	return nil
}

// writeFile writes a file through fill and reports any error with the path.
func writeFile(path string, fill func(io.Writer) error) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fill(out); err != nil {
		out.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return out.Close()
}

// capPeak caps the GEMM shares of the machine's peak at 100%: more means that the peak itself
// was measured slow (other processes took the CPU meanwhile), and says so.
func capPeak(e *env, rep *bench.Report) {
	worst := 0.0
	for i := range rep.Rows {
		r := &rep.Rows[i]
		worst = max(worst, r.GemmPctPeak, r.PctPeak)
		r.GemmPctPeak, r.PctPeak = min(r.GemmPctPeak, 100), min(r.PctPeak, 100)
	}
	if worst > 100 {
		fmt.Fprintf(e.stderr, "note: %%peak above 100%% (up to %.0f%%) is shown as 100%%: the peak was measured while other "+
			"processes took the CPU, so the %%peak columns are not reliable; rerun on a quiet machine\n", worst)
	}
}
