package speech

import (
	"fmt"
	"math"
)

// Window types (Kaldi's --window-type).
const (
	WindowPovey       = "povey"
	WindowHamming     = "hamming"
	WindowHanning     = "hanning"
	WindowRectangular = "rectangular"
	WindowSine        = "sine"
	WindowBlackman    = "blackman"
)

// frameWindow returns Kaldi's window function of the given length: with a = 2π/(n-1),
// hanning 0.5 - 0.5 cos(a i), povey hanning^0.85, hamming 0.54 - 0.46 cos(a i),
// sine sin(a i / 2), blackman c - 0.5 cos(a i) + (0.5 - c) cos(2 a i), rectangular 1.
func frameWindow(kind string, n int, blackmanCoeff float64) ([]float64, error) {
	w := make([]float64, n)
	a := 2 * math.Pi / float64(n-1)
	for i := range w {
		x := float64(i)
		switch kind {
		case WindowHanning:
			w[i] = 0.5 - 0.5*math.Cos(a*x)
		case WindowPovey:
			w[i] = math.Pow(0.5-0.5*math.Cos(a*x), 0.85)
		case WindowHamming:
			w[i] = 0.54 - 0.46*math.Cos(a*x)
		case WindowSine:
			w[i] = math.Sin(0.5 * a * x)
		case WindowBlackman:
			w[i] = blackmanCoeff - 0.5*math.Cos(a*x) + (0.5-blackmanCoeff)*math.Cos(2*a*x)
		case WindowRectangular:
			w[i] = 1
		default:
			return nil, fmt.Errorf("unknown window type %q (povey, hamming, hanning, rectangular, sine, blackman)", kind)
		}
	}
	return w, nil
}

// melScale is Kaldi's mel scale, 1127 ln(1 + f/700).
func melScale(freq float64) float64 { return 1127 * math.Log(1+freq/700) }

// inverseMelScale maps a mel value back to Hz.
func inverseMelScale(mel float64) float64 { return 700 * (math.Exp(mel/1127) - 1) }

// vtlnWarp is Kaldi's piecewise-linear VTLN frequency warp: frequencies are scaled by
// 1/warpFactor between the inflection points l = vtlnLow·max(1, warpFactor) and
// h = vtlnHigh·min(1, warpFactor), with linear pieces that keep lowFreq and highFreq fixed;
// frequencies outside [lowFreq, highFreq] are unchanged. The caller has checked the cutoffs.
type vtlnWarp struct {
	lowFreq, highFreq, l, h, scale, scaleLeft, scaleRight float64
}

func newVTLNWarp(vtlnLow, vtlnHigh, lowFreq, highFreq, warpFactor float64) (vtlnWarp, error) {
	l := vtlnLow * max(1, warpFactor)
	h := vtlnHigh * min(1, warpFactor)
	if !(l > lowFreq && h < highFreq) {
		return vtlnWarp{}, fmt.Errorf("VTLN warp factor %g puts the inflection points at %g and %g Hz, outside (%g, %g) Hz",
			warpFactor, l, h, lowFreq, highFreq)
	}
	scale := 1 / warpFactor
	return vtlnWarp{
		lowFreq: lowFreq, highFreq: highFreq, l: l, h: h, scale: scale,
		scaleLeft:  (scale*l - lowFreq) / (l - lowFreq),
		scaleRight: (highFreq - scale*h) / (highFreq - h),
	}, nil
}

func (v vtlnWarp) freq(f float64) float64 {
	switch {
	case f < v.lowFreq || f > v.highFreq:
		return f
	case f < v.l:
		return v.lowFreq + v.scaleLeft*(f-v.lowFreq)
	case f < v.h:
		return v.scale * f
	default:
		return v.highFreq + v.scaleRight*(f-v.highFreq)
	}
}

func (v vtlnWarp) mel(m float64) float64 { return melScale(v.freq(inverseMelScale(m))) }

// melBin is one triangular filter: weights for FFT bins offset, offset+1, ...
type melBin struct {
	offset  int
	weights []float64
}

// melBanks builds Kaldi's mel filterbank for a padded FFT of paddedSize points: numBins
// triangles equally spaced in mel between mel(lowFreq) and mel(highFreq) (highFreq already
// resolved against Nyquist), each rising from its left edge to 1 at its centre and falling to 0
// at its right edge, evaluated at the FFT bins k·sampleRate/paddedSize for k < paddedSize/2 (the
// Nyquist bin gets no weight). A warp factor other than 1 warps the triangle corners (VTLN).
func melBanks(numBins, paddedSize int, sampleRate, lowFreq, highFreq float64, warp *vtlnWarp) []melBin {
	numFFTBins := paddedSize / 2
	binWidth := sampleRate / float64(paddedSize)
	melLow, melHigh := melScale(lowFreq), melScale(highFreq)
	delta := (melHigh - melLow) / float64(numBins+1)
	bins := make([]melBin, numBins)
	for b := range bins {
		left := melLow + float64(b)*delta
		center := melLow + float64(b+1)*delta
		right := melLow + float64(b+2)*delta
		if warp != nil {
			left, center, right = warp.mel(left), warp.mel(center), warp.mel(right)
		}
		first, last := -1, -1
		weights := make([]float64, numFFTBins)
		for k := range numFFTBins {
			mel := melScale(binWidth * float64(k))
			if mel > left && mel < right {
				if mel <= center {
					weights[k] = (mel - left) / (center - left)
				} else {
					weights[k] = (right - mel) / (right - center)
				}
				if weights[k] > 0 {
					if first < 0 {
						first = k
					}
					last = k
				}
			}
		}
		if first < 0 {
			bins[b] = melBin{}
			continue
		}
		bins[b] = melBin{offset: first, weights: weights[first : last+1 : last+1]}
	}
	return bins
}
