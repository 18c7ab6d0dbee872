package speech

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/dsp/fourier"
)

// FbankOptions are the options of Kaldi's compute-fbank-feats (frame extraction, mel banks and
// fbank options), with Kaldi's names and defaults (see DefaultFbankOptions). Frequencies are in
// Hz, lengths in milliseconds.
type FbankOptions struct {
	// SampleRate is --sample-frequency (default 16000).
	SampleRate float64
	// FrameLengthMs is --frame-length (25): the window is int(SampleRate·FrameLengthMs·0.001)
	// samples.
	FrameLengthMs float64
	// FrameShiftMs is --frame-shift (10).
	FrameShiftMs float64
	// Dither is --dither: Gaussian noise of this standard deviation is added to every sample of
	// every frame, drawn from Rand. Kaldi's default is 1; here it is 0, so that features are
	// deterministic unless a run asks for dither with its own RNG.
	Dither float64
	// Rand is the source of dither noise; required when Dither is not 0.
	Rand *rand.Rand
	// PreemphasisCoefficient is --preemphasis-coefficient (0.97), in [0, 1].
	PreemphasisCoefficient float64
	// RemoveDCOffset is --remove-dc-offset (true): subtract each frame's mean.
	RemoveDCOffset bool
	// WindowType is --window-type ("povey"): povey, hamming, hanning, rectangular, sine or
	// blackman.
	WindowType string
	// BlackmanCoeff is --blackman-coeff (0.42).
	BlackmanCoeff float64
	// RoundToPowerOfTwo is --round-to-power-of-two (true): zero-pad each frame to the next power
	// of two for the FFT.
	RoundToPowerOfTwo bool
	// SnipEdges is --snip-edges (true): only frames that fit in the signal; when false, the
	// number of frames is round(n / shift) and the signal is reflected at its ends.
	SnipEdges bool
	// NumMelBins is --num-mel-bins (23), at least 3.
	NumMelBins int
	// LowFreq is --low-freq (20).
	LowFreq float64
	// HighFreq is --high-freq (0); a value <= 0 is an offset from the Nyquist frequency.
	HighFreq float64
	// VTLNWarp is --vtln-warp (1: no warping).
	VTLNWarp float64
	// VTLNLow is --vtln-low (100).
	VTLNLow float64
	// VTLNHigh is --vtln-high (-500); a negative value is an offset from the Nyquist frequency.
	VTLNHigh float64
	// UseEnergy is --use-energy (false): add the frame's log energy as a feature.
	UseEnergy bool
	// RawEnergy is --raw-energy (true): take the energy after DC removal, before pre-emphasis
	// and the window; when false, after the window.
	RawEnergy bool
	// HTKCompat is --htk-compat (false): put the energy last instead of first.
	HTKCompat bool
	// EnergyFloor is --energy-floor (0): when positive, the log energy is floored at
	// log(EnergyFloor). (torchaudio's default is 1; Kaldi's is 0.)
	EnergyFloor float64
	// UseLogFbank is --use-log-fbank (true).
	UseLogFbank bool
	// UsePower is --use-power (true): the power spectrum; when false, the magnitude.
	UsePower bool
	// SubtractMean is --subtract-mean (false): subtract each feature's mean over the frames.
	SubtractMean bool
}

// DefaultFbankOptions returns Kaldi's defaults, except Dither, which is 0 (Kaldi: 1).
func DefaultFbankOptions() FbankOptions {
	return FbankOptions{
		SampleRate:             16000,
		FrameLengthMs:          25,
		FrameShiftMs:           10,
		PreemphasisCoefficient: 0.97,
		RemoveDCOffset:         true,
		WindowType:             WindowPovey,
		BlackmanCoeff:          0.42,
		RoundToPowerOfTwo:      true,
		SnipEdges:              true,
		NumMelBins:             23,
		LowFreq:                20,
		HighFreq:               0,
		VTLNWarp:               1,
		VTLNLow:                100,
		VTLNHigh:               -500,
		RawEnergy:              true,
		UseLogFbank:            true,
		UsePower:               true,
	}
}

// floatEpsilon is Kaldi's floor before a log, std::numeric_limits<float>::epsilon() = 2^-23.
const floatEpsilon = 1.0 / (1 << 23)

// Features is a matrix of feature vectors, one row per frame.
type Features struct {
	Frames, Bins int
	// Data is row-major: frame f is Data[f*Bins : (f+1)*Bins].
	Data []float64
}

// Row returns frame f's features.
func (x *Features) Row(f int) []float64 { return x.Data[f*x.Bins : (f+1)*x.Bins] }

// Fbank computes filterbank features with fixed options. It holds scratch buffers, so one Fbank
// serves one goroutine at a time.
type Fbank struct {
	opts          FbankOptions
	size, shift   int // window length and frame shift in samples
	padded        int // FFT length
	window        []float64
	banks         []melBin
	fft           *fourier.FFT
	frame         []float64 // padded
	coeffs        []complex128
	spectrum      []float64
	logEnergyLow  float64 // log(EnergyFloor), used when EnergyFloor > 0
	energyColumn  int     // where the energy goes, when UseEnergy
	firstMelIndex int     // the column of mel bin 0
}

// NewFbank checks the options and precomputes the window and the mel banks. Errors describe
// the option that Kaldi would reject.
func NewFbank(opts FbankOptions) (*Fbank, error) {
	fail := func(format string, args ...any) (*Fbank, error) {
		return nil, fmt.Errorf("speech: fbank options: %s", fmt.Sprintf(format, args...))
	}
	if !(opts.SampleRate > 0) {
		return fail("sample rate %g Hz is not positive", opts.SampleRate)
	}
	// The product order is torchaudio's (sample rate · milliseconds · 0.001), so that the
	// truncation to whole samples agrees with it.
	size := int(opts.SampleRate * opts.FrameLengthMs * 0.001)
	shift := int(opts.SampleRate * opts.FrameShiftMs * 0.001)
	if size < 2 {
		return fail("frame length %g ms is %d samples at %g Hz; need at least 2", opts.FrameLengthMs, size, opts.SampleRate)
	}
	if shift < 1 {
		return fail("frame shift %g ms is %d samples at %g Hz; need at least 1", opts.FrameShiftMs, shift, opts.SampleRate)
	}
	padded := size
	if opts.RoundToPowerOfTwo {
		padded = 1
		for padded < size {
			padded <<= 1
		}
	}
	if padded%2 != 0 {
		return fail("FFT length %d is odd (frame of %d samples, round_to_power_of_two false); Kaldi's real FFT needs an even length", padded, size)
	}
	if !(opts.PreemphasisCoefficient >= 0 && opts.PreemphasisCoefficient <= 1) {
		return fail("preemphasis coefficient %g is outside [0, 1]", opts.PreemphasisCoefficient)
	}
	if opts.Dither != 0 && opts.Rand == nil {
		return fail("dither %g needs a Rand", opts.Dither)
	}
	if opts.NumMelBins < 3 {
		return fail("%d mel bins; need at least 3", opts.NumMelBins)
	}
	nyquist := 0.5 * opts.SampleRate
	low, high := opts.LowFreq, opts.HighFreq
	if high <= 0 {
		high += nyquist
	}
	if !(low >= 0 && low < nyquist && high > 0 && high <= nyquist && high > low) {
		return fail("low frequency %g Hz and high frequency %g Hz (resolved to %g) do not fit 0 <= low < high <= Nyquist %g Hz",
			opts.LowFreq, opts.HighFreq, high, nyquist)
	}
	var warp *vtlnWarp
	if opts.VTLNWarp != 1 {
		if !(opts.VTLNWarp > 0) {
			return fail("VTLN warp factor %g is not positive", opts.VTLNWarp)
		}
		vlow, vhigh := opts.VTLNLow, opts.VTLNHigh
		if vhigh < 0 {
			vhigh += nyquist
		}
		if !(vlow > low && vlow < high && vhigh > 0 && vhigh < high && vlow < vhigh) {
			return fail("VTLN cutoffs %g and %g Hz (resolved to %g) do not fit low %g < vtln-low < vtln-high < high %g Hz",
				opts.VTLNLow, opts.VTLNHigh, vhigh, low, high)
		}
		w, err := newVTLNWarp(vlow, vhigh, low, high, opts.VTLNWarp)
		if err != nil {
			return fail("%v", err)
		}
		warp = &w
	}
	window, err := frameWindow(opts.WindowType, size, opts.BlackmanCoeff)
	if err != nil {
		return fail("%v", err)
	}
	f := &Fbank{
		opts: opts, size: size, shift: shift, padded: padded,
		window:   window,
		banks:    melBanks(opts.NumMelBins, padded, opts.SampleRate, low, high, warp),
		fft:      fourier.NewFFT(padded),
		frame:    make([]float64, padded),
		coeffs:   make([]complex128, padded/2+1),
		spectrum: make([]float64, padded/2),
	}
	if opts.EnergyFloor > 0 {
		f.logEnergyLow = math.Log(opts.EnergyFloor)
	}
	if opts.UseEnergy {
		if opts.HTKCompat {
			f.energyColumn = opts.NumMelBins
		} else {
			f.energyColumn, f.firstMelIndex = 0, 1
		}
	}
	return f, nil
}

// Options returns the options the Fbank was made with.
func (f *Fbank) Options() FbankOptions { return f.opts }

// WindowSize is the frame length in samples.
func (f *Fbank) WindowSize() int { return f.size }

// WindowShift is the frame shift in samples.
func (f *Fbank) WindowShift() int { return f.shift }

// NumBins is the width of a feature vector: the mel bins, plus one with UseEnergy.
func (f *Fbank) NumBins() int {
	if f.opts.UseEnergy {
		return f.opts.NumMelBins + 1
	}
	return f.opts.NumMelBins
}

// NumFrames is Kaldi's frame count for n samples: with SnipEdges, 0 when n is shorter than a
// window, else 1 + (n - window)/shift; without, (n + shift/2)/shift.
func (f *Fbank) NumFrames(n int) int {
	if f.opts.SnipEdges {
		if n < f.size {
			return 0
		}
		return 1 + (n-f.size)/f.shift
	}
	return (n + f.shift/2) / f.shift
}

// firstSample is where frame i starts (negative before the signal when edges are not snipped).
func (f *Fbank) firstSample(i int) int {
	if f.opts.SnipEdges {
		return i * f.shift
	}
	return i*f.shift + f.shift/2 - f.size/2
}

// Compute returns the features of a signal (sample values unscaled, as Kaldi reads them: the
// int16 values, not divided by 32768). A signal too short for one frame gives 0 frames.
func (f *Fbank) Compute(samples []float64) *Features {
	out := &Features{}
	f.ComputeInto(out, samples)
	return out
}

// ComputeInto is Compute writing into dst, whose Data is reused when it is large enough.
func (f *Fbank) ComputeInto(dst *Features, samples []float64) {
	frames, bins := f.NumFrames(len(samples)), f.NumBins()
	dst.Frames, dst.Bins = frames, bins
	if cap(dst.Data) < frames*bins {
		dst.Data = make([]float64, frames*bins)
	}
	dst.Data = dst.Data[:frames*bins]
	for i := range frames {
		f.computeFrame(dst.Row(i), samples, i)
	}
	if f.opts.SubtractMean && frames > 0 {
		for b := range bins {
			sum := 0.0
			for i := range frames {
				sum += dst.Data[i*bins+b]
			}
			mean := sum / float64(frames)
			for i := range frames {
				dst.Data[i*bins+b] -= mean
			}
		}
	}
}

// computeFrame writes frame i's features into row.
func (f *Fbank) computeFrame(row, samples []float64, i int) {
	o := &f.opts
	x := f.frame[:f.size]
	f.extract(x, samples, f.firstSample(i))
	if o.Dither != 0 {
		for j := range x {
			x[j] += o.Dither * o.Rand.NormFloat64()
		}
	}
	if o.RemoveDCOffset {
		sum := 0.0
		for _, v := range x {
			sum += v
		}
		mean := sum / float64(len(x))
		for j := range x {
			x[j] -= mean
		}
	}
	var logEnergy float64
	if o.UseEnergy && o.RawEnergy {
		logEnergy = logFloored(sumSquares(x))
	}
	if p := o.PreemphasisCoefficient; p != 0 {
		for j := len(x) - 1; j > 0; j-- {
			x[j] -= p * x[j-1]
		}
		x[0] -= p * x[0]
	}
	for j, w := range f.window {
		x[j] *= w
	}
	clear(f.frame[f.size:])
	if o.UseEnergy && !o.RawEnergy {
		logEnergy = logFloored(sumSquares(x))
	}
	f.fft.Coefficients(f.coeffs, f.frame)
	for k := range f.spectrum {
		c := f.coeffs[k]
		power := real(c)*real(c) + imag(c)*imag(c)
		if o.UsePower {
			f.spectrum[k] = power
		} else {
			f.spectrum[k] = math.Sqrt(power)
		}
	}
	mel := row[f.firstMelIndex : f.firstMelIndex+len(f.banks)]
	for b, bank := range f.banks {
		e := 0.0
		for k, w := range bank.weights {
			e += w * f.spectrum[bank.offset+k]
		}
		if o.UseLogFbank {
			e = logFloored(e)
		}
		mel[b] = e
	}
	if o.UseEnergy {
		if o.EnergyFloor > 0 && logEnergy < f.logEnergyLow {
			logEnergy = f.logEnergyLow
		}
		row[f.energyColumn] = logEnergy
	}
}

// extract copies the window starting at sample start into x, reflecting indices outside the
// signal as Kaldi does (-1 → 0, -2 → 1, n → n-1, n+1 → n-2, repeatedly for very short signals).
func (f *Fbank) extract(x, samples []float64, start int) {
	n := len(samples)
	if start >= 0 && start+len(x) <= n {
		copy(x, samples[start:start+len(x)])
		return
	}
	for j := range x {
		s := start + j
		for s < 0 || s >= n {
			if s < 0 {
				s = -s - 1
			} else {
				s = 2*n - 1 - s
			}
		}
		x[j] = samples[s]
	}
}

func sumSquares(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v * v
	}
	return s
}

func logFloored(e float64) float64 { return math.Log(max(e, floatEpsilon)) }

// ComputeFbank is NewFbank(opts).Compute(samples).
func ComputeFbank(samples []float64, opts FbankOptions) (*Features, error) {
	f, err := NewFbank(opts)
	if err != nil {
		return nil, err
	}
	return f.Compute(samples), nil
}
