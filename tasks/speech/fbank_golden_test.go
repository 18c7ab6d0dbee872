package speech

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/gosru/gosru/golden"
)

// fbankCase is one reference file: torchaudio.compliance.kaldi.fbank in float64 (see the README
// beside the golden files for the format).
type fbankCase struct {
	Kind       string          `json:"kind"`
	Name       string          `json:"name"`
	SampleRate float64         `json:"sample_rate"`
	Samples    []float64       `json:"samples"`
	Options    json.RawMessage `json:"options"`
	NumFrames  int             `json:"num_frames"`
	NumBins    int             `json:"num_bins"`
	Features   [][]float64     `json:"features"`
}

// torchaudioOptions are the keyword arguments of torchaudio's fbank, by its names; pointers so
// that absent keys keep Kaldi's defaults.
type torchaudioOptions struct {
	NumMelBins             *int     `json:"num_mel_bins"`
	FrameLength            *float64 `json:"frame_length"`
	FrameShift             *float64 `json:"frame_shift"`
	Dither                 *float64 `json:"dither"`
	PreemphasisCoefficient *float64 `json:"preemphasis_coefficient"`
	RemoveDCOffset         *bool    `json:"remove_dc_offset"`
	WindowType             *string  `json:"window_type"`
	BlackmanCoeff          *float64 `json:"blackman_coeff"`
	RoundToPowerOfTwo      *bool    `json:"round_to_power_of_two"`
	SnipEdges              *bool    `json:"snip_edges"`
	LowFreq                *float64 `json:"low_freq"`
	HighFreq               *float64 `json:"high_freq"`
	VTLNWarp               *float64 `json:"vtln_warp"`
	VTLNLow                *float64 `json:"vtln_low"`
	VTLNHigh               *float64 `json:"vtln_high"`
	UseEnergy              *bool    `json:"use_energy"`
	RawEnergy              *bool    `json:"raw_energy"`
	HTKCompat              *bool    `json:"htk_compat"`
	EnergyFloor            *float64 `json:"energy_floor"`
	UseLogFbank            *bool    `json:"use_log_fbank"`
	UsePower               *bool    `json:"use_power"`
	SubtractMean           *bool    `json:"subtract_mean"`
	// SampleFrequency, where present, overrides the case's sample_rate.
	SampleFrequency *float64 `json:"sample_frequency"`
	// Channel is accepted for a mono signal only (-1 or 0).
	Channel *int `json:"channel"`
	// MinDuration (seconds) is compute-fbank-feats' utterance filter: a shorter signal has no
	// features (torchaudio returns an empty tensor). It belongs to the caller, not to Fbank.
	MinDuration *float64 `json:"min_duration"`
}

// options maps a case's torchaudio keywords onto FbankOptions. An unknown key is an error, so
// that a new option in a case cannot pass silently.
func (c *fbankCase) options() (FbankOptions, torchaudioOptions, error) {
	var t torchaudioOptions
	dec := json.NewDecoder(bytes.NewReader(c.Options))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return FbankOptions{}, t, fmt.Errorf("options: %w", err)
	}
	o := DefaultFbankOptions()
	o.SampleRate = c.SampleRate
	setFloat(&o.SampleRate, t.SampleFrequency)
	setInt(&o.NumMelBins, t.NumMelBins)
	setFloat(&o.FrameLengthMs, t.FrameLength)
	setFloat(&o.FrameShiftMs, t.FrameShift)
	setFloat(&o.Dither, t.Dither)
	setFloat(&o.PreemphasisCoefficient, t.PreemphasisCoefficient)
	setBool(&o.RemoveDCOffset, t.RemoveDCOffset)
	if t.WindowType != nil {
		o.WindowType = *t.WindowType
	}
	setFloat(&o.BlackmanCoeff, t.BlackmanCoeff)
	setBool(&o.RoundToPowerOfTwo, t.RoundToPowerOfTwo)
	setBool(&o.SnipEdges, t.SnipEdges)
	setFloat(&o.LowFreq, t.LowFreq)
	setFloat(&o.HighFreq, t.HighFreq)
	setFloat(&o.VTLNWarp, t.VTLNWarp)
	setFloat(&o.VTLNLow, t.VTLNLow)
	setFloat(&o.VTLNHigh, t.VTLNHigh)
	setBool(&o.UseEnergy, t.UseEnergy)
	setBool(&o.RawEnergy, t.RawEnergy)
	setBool(&o.HTKCompat, t.HTKCompat)
	setFloat(&o.EnergyFloor, t.EnergyFloor)
	setBool(&o.UseLogFbank, t.UseLogFbank)
	setBool(&o.UsePower, t.UsePower)
	setBool(&o.SubtractMean, t.SubtractMean)
	if t.Channel != nil && *t.Channel > 0 {
		return o, t, fmt.Errorf("options: channel %d of a mono signal", *t.Channel)
	}
	if o.Dither != 0 {
		return o, t, fmt.Errorf("options: dither %g in a reference case (references are deterministic)", o.Dither)
	}
	return o, t, nil
}

func setInt(dst *int, v *int) {
	if v != nil {
		*dst = *v
	}
}

func setFloat(dst *float64, v *float64) {
	if v != nil {
		*dst = *v
	}
}

func setBool(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}

// TestGoldenFbank holds Fbank to every reference case in $SRU_GOLDEN_FBANK_DIR within 1e-6
// absolute (1e-9 relative for values above 1000, see relTol), and logs the largest absolute and
// relative differences. With the variable set, a missing directory or an empty one fails.
func TestGoldenFbank(t *testing.T) {
	dir, set, err := golden.CaseDir("SRU_GOLDEN_FBANK_DIR", "fbank")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		if set {
			t.Fatalf("SRU_GOLDEN_FBANK_DIR=%s holds no *.json cases", dir)
		}
		t.Skipf("no golden fbank cases in %s (set SRU_GOLDEN_FBANK_DIR)", dir)
	}
	runFbankCases(t, files, 1e-6)
}

// TestFbankTestdata holds Fbank to the reference cases committed in testdata/fbank (options
// the shared golden set does not cover: blackman and sine-free windows, VTLN, edges, ...).
func TestFbankTestdata(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "fbank", "*.json"))
	if len(files) == 0 {
		t.Fatal("no cases in testdata/fbank")
	}
	runFbankCases(t, files, 1e-6)
}

// relTol is the golden README's relative tolerance, which decides only where a feature is so
// large (linear mel energies, up to 1e12 for loud audio) that float64 round-off alone exceeds
// the absolute one.
const relTol = 1e-9

// runFbankCases checks every case file: a feature passes within tol absolute, or within relTol
// relative to a large reference value.
func runFbankCases(t *testing.T, files []string, tol float64) {
	sort.Strings(files)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var c fbankCase
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if c.Kind != "fbank" {
				t.Fatalf("%s: kind %q, want \"fbank\"", path, c.Kind)
			}
			opts, keywords, err := c.options()
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			got, err := ComputeFbank(c.Samples, opts)
			if err != nil {
				t.Fatal(err)
			}
			if keywords.MinDuration != nil && float64(len(c.Samples)) < *keywords.MinDuration*opts.SampleRate {
				if c.NumFrames != 0 || len(c.Features) != 0 {
					t.Fatalf("%d frames for a signal shorter than min_duration", c.NumFrames)
				}
				return
			}
			if got.Frames != c.NumFrames || got.Bins != c.NumBins || len(c.Features) != c.NumFrames {
				t.Fatalf("shape %d x %d, want %d x %d (%d rows in features)", got.Frames, got.Bins, c.NumFrames, c.NumBins, len(c.Features))
			}
			maxAbs, maxRel := 0.0, 0.0
			for f, want := range c.Features {
				if len(want) != c.NumBins {
					t.Fatalf("features row %d has %d values, want %d", f, len(want), c.NumBins)
				}
				for b, w := range want {
					d := math.Abs(got.Row(f)[b] - w)
					if !(d <= tol || d <= relTol*math.Abs(w)) {
						t.Errorf("frame %d bin %d: got %.12g, want %.12g (diff %.3g)", f, b, got.Row(f)[b], w, d)
						if t.Failed() && f > 3 {
							t.FailNow()
						}
					}
					maxAbs = max(maxAbs, d)
					maxRel = max(maxRel, d/max(1, math.Abs(w)))
				}
			}
			t.Logf("%d x %d: max abs diff %.3g, max rel diff %.3g", c.NumFrames, c.NumBins, maxAbs, maxRel)
		})
	}
}
