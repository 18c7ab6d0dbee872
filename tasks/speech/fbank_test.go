package speech

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDefaultFbankOptionsAreKaldis(t *testing.T) {
	o := DefaultFbankOptions()
	want := FbankOptions{
		SampleRate: 16000, FrameLengthMs: 25, FrameShiftMs: 10, Dither: 0,
		PreemphasisCoefficient: 0.97, RemoveDCOffset: true, WindowType: "povey", BlackmanCoeff: 0.42,
		RoundToPowerOfTwo: true, SnipEdges: true, NumMelBins: 23, LowFreq: 20, HighFreq: 0,
		VTLNWarp: 1, VTLNLow: 100, VTLNHigh: -500, UseEnergy: false, RawEnergy: true, HTKCompat: false,
		EnergyFloor: 0, UseLogFbank: true, UsePower: true, SubtractMean: false,
	}
	if o != want {
		t.Fatalf("defaults\n got %+v\nwant %+v", o, want)
	}
	f, err := NewFbank(o)
	if err != nil {
		t.Fatal(err)
	}
	if f.WindowSize() != 400 || f.WindowShift() != 160 || f.NumBins() != 23 || f.padded != 512 {
		t.Fatalf("window %d, shift %d, bins %d, FFT %d", f.WindowSize(), f.WindowShift(), f.NumBins(), f.padded)
	}
}

func TestFbankFrameCounts(t *testing.T) {
	snip := DefaultFbankOptions()
	noSnip := snip
	noSnip.SnipEdges = false
	fs, _ := NewFbank(snip)
	fn, _ := NewFbank(noSnip)
	for _, c := range []struct{ n, snip, noSnip int }{
		{0, 0, 0}, {1, 0, 0}, {79, 0, 0}, {80, 0, 1}, {239, 0, 1}, {240, 0, 2}, {399, 0, 2},
		{400, 1, 3}, {559, 1, 3}, {560, 2, 4}, {16000, 98, 100},
	} {
		if got := fs.NumFrames(c.n); got != c.snip {
			t.Errorf("snip_edges, %d samples: %d frames, want %d", c.n, got, c.snip)
		}
		if got := fn.NumFrames(c.n); got != c.noSnip {
			t.Errorf("no snip_edges, %d samples: %d frames, want %d", c.n, got, c.noSnip)
		}
		x := make([]float64, c.n)
		for i := range x {
			x[i] = float64(i%17) - 8
		}
		for _, f := range []*Fbank{fs, fn} {
			out := f.Compute(x)
			if out.Frames != f.NumFrames(c.n) || out.Bins != 23 || len(out.Data) != out.Frames*23 {
				t.Errorf("%d samples: features %d x %d with %d values", c.n, out.Frames, out.Bins, len(out.Data))
			}
			for _, v := range out.Data {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%d samples: non-finite feature %g", c.n, v)
				}
			}
		}
	}
}

// TestFbankReflection checks Kaldi's reflection at the edges, repeated for a signal shorter
// than the window.
func TestFbankReflection(t *testing.T) {
	f := &Fbank{}
	x := make([]float64, 11)
	f.extract(x, []float64{10, 20, 30}, -4)
	want := []float64{30, 30, 20, 10, 10, 20, 30, 30, 20, 10, 10}
	if !slices.Equal(x, want) {
		t.Fatalf("got %v, want %v", x, want)
	}
}

func TestFbankOptionErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*FbankOptions)
		want string
	}{
		{"zero rate", func(o *FbankOptions) { o.SampleRate = 0 }, "sample rate"},
		{"one-sample window", func(o *FbankOptions) { o.FrameLengthMs = 0.1 }, "frame length"},
		{"zero shift", func(o *FbankOptions) { o.FrameShiftMs = 0 }, "frame shift"},
		{"odd FFT", func(o *FbankOptions) { o.RoundToPowerOfTwo = false; o.SampleRate = 8000; o.FrameLengthMs = 25.125 }, "odd"},
		{"preemphasis", func(o *FbankOptions) { o.PreemphasisCoefficient = 1.5 }, "preemphasis"},
		{"dither without rand", func(o *FbankOptions) { o.Dither = 1 }, "Rand"},
		{"two bins", func(o *FbankOptions) { o.NumMelBins = 2 }, "mel bins"},
		{"low above Nyquist", func(o *FbankOptions) { o.LowFreq = 8000 }, "low frequency"},
		{"high above Nyquist", func(o *FbankOptions) { o.HighFreq = 9000 }, "low frequency"},
		{"high below low", func(o *FbankOptions) { o.LowFreq = 3000; o.HighFreq = 2000 }, "low frequency"},
		{"offset past zero", func(o *FbankOptions) { o.HighFreq = -8000 }, "low frequency"},
		{"window", func(o *FbankOptions) { o.WindowType = "kaiser" }, "unknown window type \"kaiser\""},
		{"vtln cutoffs", func(o *FbankOptions) { o.VTLNWarp = 0.9; o.VTLNLow = 10 }, "VTLN cutoffs"},
		{"vtln factor", func(o *FbankOptions) { o.VTLNWarp = -1 }, "VTLN warp factor"},
	} {
		o := DefaultFbankOptions()
		c.edit(&o)
		if _, err := NewFbank(o); err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "speech: ") {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
}

func TestFbankDither(t *testing.T) {
	x := make([]float64, 4000)
	o := DefaultFbankOptions()
	plain, _ := ComputeFbank(x, o)
	o.Dither = 1
	o.Rand = rand.New(rand.NewPCG(1, 2))
	a, err := ComputeFbank(x, o)
	if err != nil {
		t.Fatal(err)
	}
	o.Rand = rand.New(rand.NewPCG(1, 2))
	b, _ := ComputeFbank(x, o)
	if !slices.Equal(a.Data, b.Data) {
		t.Fatal("the same seed gave different dithered features")
	}
	// Silence without dither floors every bin at log(2^-23); dither lifts them.
	for i, v := range plain.Data {
		if v != math.Log(floatEpsilon) {
			t.Fatalf("silence: feature %d is %g, want log(2^-23)", i, v)
		}
		if a.Data[i] <= v {
			t.Fatalf("dithered silence: feature %d is %g, not above the floor", i, a.Data[i])
		}
	}
}

func TestFbankComputeIntoAllocatesNothing(t *testing.T) {
	o := DefaultFbankOptions()
	o.SampleRate = 8000
	f, _ := NewFbank(o)
	x := synthSignal(8000, 8000)
	var out Features
	f.ComputeInto(&out, x)
	if n := testing.AllocsPerRun(5, func() { f.ComputeInto(&out, x) }); n != 0 {
		t.Fatalf("%g allocations per ComputeInto", n)
	}
}

// TestFbankOfRecording reads a shipped recording and checks it against the reference case that
// was computed from the same file (reader and features together).
func TestFbankOfRecording(t *testing.T) {
	a, err := ReadWAV(filepath.Join("testdata", "6_yweweler_3.wav"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "fbank", "blackman.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c fbankCase
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Channel(0), c.Samples) {
		t.Fatal("the reference case's samples are not the recording's")
	}
	o := DefaultFbankOptions()
	o.SampleRate = float64(a.SampleRate)
	o.WindowType = WindowBlackman
	got, err := ComputeFbank(a.Channel(0), o)
	if err != nil {
		t.Fatal(err)
	}
	for f, row := range c.Features {
		for b, w := range row {
			if d := math.Abs(got.Row(f)[b] - w); d > 1e-9 {
				t.Fatalf("frame %d bin %d: %g, want %g", f, b, got.Row(f)[b], w)
			}
		}
	}
}

// synthSignal is a deterministic speech-like test signal: two tones and noise at int16 scale.
func synthSignal(n int, rate float64) []float64 {
	rng := rand.New(rand.NewPCG(7, 7))
	x := make([]float64, n)
	for i := range x {
		t := float64(i) / rate
		x[i] = math.Round(3000*math.Sin(2*math.Pi*220*t) + 1500*math.Sin(2*math.Pi*1830*t) + 300*rng.NormFloat64())
	}
	return x
}

// BenchmarkFbank times features with Kaldi's defaults (23 bins, 25/10 ms, povey) for one second
// of 8 kHz audio (98 frames, 256-point FFT) and ten seconds of 16 kHz audio (998 frames,
// 512-point FFT), reusing the output. cpu-ns/op is the process's CPU time per operation, which
// stays meaningful when other processes share the cores and inflate ns/op.
func BenchmarkFbank(b *testing.B) {
	for _, c := range []struct {
		name    string
		rate    float64
		seconds float64
	}{{"8kHz_1s", 8000, 1}, {"16kHz_10s", 16000, 10}} {
		b.Run(c.name, func(b *testing.B) {
			o := DefaultFbankOptions()
			o.SampleRate = c.rate
			f, err := NewFbank(o)
			if err != nil {
				b.Fatal(err)
			}
			x := synthSignal(int(c.rate*c.seconds), c.rate)
			var out Features
			b.ReportAllocs()
			cpu := processCPUTime()
			for b.Loop() {
				f.ComputeInto(&out, x)
			}
			b.ReportMetric(float64(processCPUTime()-cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(out.Frames), "ns/frame")
		})
	}
}

func TestFrameWindows(t *testing.T) {
	r := math.Sqrt(0.5)
	for _, c := range []struct {
		kind string
		want []float64
	}{
		{WindowHanning, []float64{0, 0.5, 1, 0.5, 0}},
		{WindowPovey, []float64{0, math.Pow(0.5, 0.85), 1, math.Pow(0.5, 0.85), 0}},
		{WindowHamming, []float64{0.08, 0.54, 1, 0.54, 0.08}},
		{WindowSine, []float64{0, r, 1, r, 0}},
		{WindowBlackman, []float64{0, 0.34, 1, 0.34, 0}},
		{WindowRectangular, []float64{1, 1, 1, 1, 1}},
	} {
		w, err := frameWindow(c.kind, 5, 0.42)
		if err != nil {
			t.Fatal(err)
		}
		for i := range w {
			if math.Abs(w[i]-c.want[i]) > 1e-15 {
				t.Fatalf("%s window: %v, want %v", c.kind, w, c.want)
			}
		}
	}
}
