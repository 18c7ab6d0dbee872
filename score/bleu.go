package score

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// SacreBLEUVersion is the sacreBLEU release whose BLEU this package reproduces; it appears in
// the signature.
const SacreBLEUVersion = "2.6.0"

// bleuMaxOrder is BLEU's highest n-gram order.
const bleuMaxOrder = 4

// BLEUOptions are sacreBLEU's BLEU settings. The zero value is sacreBLEU's corpus default:
// 13a tokenizer, cased, exp smoothing, no effective order.
type BLEUOptions struct {
	// Tokenize is "13a" (the default when empty) or "none".
	Tokenize string
	// Lowercase lower-cases hypotheses and references first (Python's str.lower).
	Lowercase bool
	// Smooth is "exp" (the default when empty), "floor" or "none".
	Smooth string
	// SmoothValue is the floor smoothing value; 0 means sacreBLEU's default 0.1.
	SmoothValue float64
	// EffectiveOrder averages the precisions only up to the highest order with n-grams in
	// the hypothesis, as sentence-level BLEU should.
	EffectiveOrder bool
}

func (o BLEUOptions) resolved() (BLEUOptions, error) {
	if o.Tokenize == "" {
		o.Tokenize = "13a"
	}
	if o.Tokenize != "13a" && o.Tokenize != "none" {
		return o, fmt.Errorf("score: bleu: unknown tokenizer %q (13a or none)", o.Tokenize)
	}
	if o.Smooth == "" {
		o.Smooth = "exp"
	}
	switch o.Smooth {
	case "exp", "none":
	case "floor":
		if o.SmoothValue == 0 {
			o.SmoothValue = 0.1
		}
	default:
		return o, fmt.Errorf("score: bleu: unknown smoothing %q (exp, floor or none)", o.Smooth)
	}
	return o, nil
}

// preprocess lower-cases (optionally), strips trailing whitespace and tokenises a segment, as
// sacreBLEU does before counting n-grams.
func (o BLEUOptions) preprocess(segment string) []string {
	if o.Lowercase {
		segment = pyLower(segment)
	}
	segment = pyRStrip(segment)
	if o.Tokenize == "13a" {
		segment = Tokenize13a(segment)
	}
	return pyFields(segment)
}

// BLEUResult is a BLEU score with its sufficient statistics, as sacreBLEU's BLEUScore.
type BLEUResult struct {
	Score float64 `json:"score"`
	// Counts are the clipped matching n-grams and Totals the hypothesis n-grams, for
	// n = 1..4, summed over the corpus.
	Counts [bleuMaxOrder]int `json:"counts"`
	Totals [bleuMaxOrder]int `json:"totals"`
	// Precisions are percentages, after smoothing.
	Precisions [bleuMaxOrder]float64 `json:"precisions"`
	BP         float64               `json:"bp"`
	SysLen     int                   `json:"sys_len"`
	RefLen     int                   `json:"ref_len"`
	// Signature is sacreBLEU's reproducibility signature, e.g.
	// "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0".
	Signature string `json:"signature"`
}

// Ratio is the hypothesis length over the reference length (0 without reference tokens).
func (r BLEUResult) Ratio() float64 {
	if r.RefLen == 0 {
		return 0
	}
	return float64(r.SysLen) / float64(r.RefLen)
}

// String is the score line sacreBLEU prints for the score object, e.g.
// "BLEU = 77.06 92.4/82.8/75.8/70.3 (BP = 0.964 ratio = 0.965 hyp_len = 3370 ref_len = 3492)".
func (r BLEUResult) String() string {
	return "BLEU = " + r.scoreAndDetails()
}

// LineWithSignature is the line of sacreBLEU's text output, which puts the signature after
// the metric's name: "BLEU|nrefs:1|...|version:2.6.0 = 77.06 92.4/...".
func (r BLEUResult) LineWithSignature() string {
	return "BLEU|" + r.Signature + " = " + r.scoreAndDetails()
}

func (r BLEUResult) scoreAndDetails() string {
	var b strings.Builder
	b.WriteString(strconv.FormatFloat(r.Score, 'f', 2, 64))
	b.WriteByte(' ')
	for n, p := range r.Precisions {
		if n > 0 {
			b.WriteByte('/')
		}
		b.WriteString(strconv.FormatFloat(p, 'f', 1, 64))
	}
	fmt.Fprintf(&b, " (BP = %s ratio = %s hyp_len = %d ref_len = %d)",
		strconv.FormatFloat(r.BP, 'f', 3, 64), strconv.FormatFloat(r.Ratio(), 'f', 3, 64), r.SysLen, r.RefLen)
	return b.String()
}

// CorpusBLEU computes corpus BLEU as sacreBLEU's corpus_bleu: refs holds the reference
// streams, each parallel to hyps (refs[k][i] is the k-th reference of segment i). Per segment,
// hypothesis n-gram counts are clipped by their highest count in any reference, and the
// reference length is the one closest to the hypothesis length (the shorter on a tie); an
// empty reference counts, with length 0. Streams of another length than hyps are an error.
func CorpusBLEU(hyps []string, refs [][]string, opts BLEUOptions) (BLEUResult, error) {
	opts, err := opts.resolved()
	if err != nil {
		return BLEUResult{}, err
	}
	if len(hyps) == 0 {
		return BLEUResult{}, fmt.Errorf("score: bleu: no hypotheses")
	}
	if len(refs) == 0 {
		return BLEUResult{}, fmt.Errorf("score: bleu: no reference streams")
	}
	for k, stream := range refs {
		if len(stream) != len(hyps) {
			return BLEUResult{}, fmt.Errorf("score: bleu: reference stream %d has %d segments, the hypotheses %d", k+1, len(stream), len(hyps))
		}
	}
	var stats bleuStats
	segmentRefs := make([]string, len(refs))
	for i, hyp := range hyps {
		for k := range refs {
			segmentRefs[k] = refs[k][i]
		}
		stats.add(opts, hyp, segmentRefs)
	}
	return stats.result(opts, len(refs)), nil
}

// SentenceBLEU computes the BLEU of one hypothesis against its references as sacreBLEU's
// sentence_bleu does with its defaults: effective order is always on.
func SentenceBLEU(hyp string, refs []string, opts BLEUOptions) (BLEUResult, error) {
	opts.EffectiveOrder = true
	streams := make([][]string, len(refs))
	for k, r := range refs {
		streams[k] = []string{r}
	}
	return CorpusBLEU([]string{hyp}, streams, opts)
}

// bleuStats are BLEU's sufficient statistics, summed over segments.
type bleuStats struct {
	sysLen, refLen int
	counts, totals [bleuMaxOrder]int
}

// add counts one segment.
func (s *bleuStats) add(opts BLEUOptions, hyp string, refs []string) {
	refMax := map[string]int{}
	refLens := make([]int, len(refs))
	for k, ref := range refs {
		tokens := opts.preprocess(ref)
		refLens[k] = len(tokens)
		for gram, c := range countNgrams(tokens) {
			refMax[gram] = max(refMax[gram], c)
		}
	}
	tokens := opts.preprocess(hyp)
	s.sysLen += len(tokens)
	s.refLen += closestRefLen(len(tokens), refLens)
	for gram, c := range countNgrams(tokens) {
		n := strings.Count(gram, " ")
		s.totals[n] += c
		s.counts[n] += min(c, refMax[gram])
	}
}

// countNgrams counts the n-grams of orders 1..4, each keyed by its tokens joined with a space
// (tokens hold no whitespace, so the key is unambiguous and its order is its spaces + 1).
func countNgrams(tokens []string) map[string]int {
	counts := make(map[string]int, len(tokens)*bleuMaxOrder)
	for n := 1; n <= bleuMaxOrder; n++ {
		for i := 0; i+n <= len(tokens); i++ {
			counts[strings.Join(tokens[i:i+n], " ")]++
		}
	}
	return counts
}

// closestRefLen is the reference length closest to hypLen, the shorter one on a tie.
func closestRefLen(hypLen int, refLens []int) int {
	best, bestDiff := -1, -1
	for _, l := range refLens {
		diff := l - hypLen
		if diff < 0 {
			diff = -diff
		}
		if bestDiff < 0 || diff < bestDiff || (diff == bestDiff && l < best) {
			best, bestDiff = l, diff
		}
	}
	return best
}

// result turns the statistics into the score, as sacreBLEU's compute_bleu.
func (s *bleuStats) result(opts BLEUOptions, nrefs int) BLEUResult {
	r := BLEUResult{
		Counts: s.counts, Totals: s.totals, SysLen: s.sysLen, RefLen: s.refLen,
		BP: 1, Signature: bleuSignature(opts, nrefs),
	}
	if s.sysLen < s.refLen {
		if s.sysLen > 0 {
			r.BP = math.Exp(1 - float64(s.refLen)/float64(s.sysLen))
		} else {
			r.BP = 0
		}
	}
	anyMatch := false
	for _, c := range s.counts {
		anyMatch = anyMatch || c != 0
	}
	if !anyMatch {
		return r
	}
	smoothMteval := 1.0
	order := bleuMaxOrder
	for n := 0; n < bleuMaxOrder; n++ {
		if s.totals[n] == 0 {
			break
		}
		if opts.EffectiveOrder {
			order = n + 1
		}
		switch {
		case s.counts[n] != 0:
			r.Precisions[n] = 100. * float64(s.counts[n]) / float64(s.totals[n])
		case opts.Smooth == "exp":
			smoothMteval *= 2
			r.Precisions[n] = 100. / (smoothMteval * float64(s.totals[n]))
		case opts.Smooth == "floor":
			r.Precisions[n] = 100. * opts.SmoothValue / float64(s.totals[n])
		}
	}
	sumLog := 0.0
	for _, p := range r.Precisions[:order] {
		if p == 0 {
			sumLog += -9999999999 // sacreBLEU's floor for log(0): the score becomes 0
		} else {
			sumLog += math.Log(p)
		}
	}
	r.Score = r.BP * math.Exp(sumLog/float64(order))
	return r
}

// bleuSignature is sacreBLEU's signature string for these options.
func bleuSignature(opts BLEUOptions, nrefs int) string {
	smooth := opts.Smooth
	if smooth == "floor" {
		smooth += "[" + strconv.FormatFloat(opts.SmoothValue, 'f', 2, 64) + "]"
	}
	caseName := "mixed"
	if opts.Lowercase {
		caseName = "lc"
	}
	eff := "no"
	if opts.EffectiveOrder {
		eff = "yes"
	}
	return fmt.Sprintf("nrefs:%d|case:%s|eff:%s|tok:%s|smooth:%s|version:%s", nrefs, caseName, eff, opts.Tokenize, smooth, SacreBLEUVersion)
}
