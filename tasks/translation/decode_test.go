package translation

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

var decodeSources = [][]int32{{5, 6, 7, 3}, {8, 9}, {10}, {4, 4, 5, 6, 7, 8, 9}}

// sharpen redraws the attention and output weights wider, so that a random model's outputs
// vary from step to step and end at different lengths (the default ±0.1 gives one token
// repeated to the limit).
func sharpen(m *model[float64], dev kernels.Device[float64], seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	for _, p := range []*nn.Param[float64]{m.linOut, m.outW, m.outB, m.attn.W, m.tgtEmb} {
		v := make([]float64, p.Len())
		for i := range v {
			v[i] = (rng.Float64()*2 - 1) * 1.5
		}
		if p == m.outB {
			v[EOSID] += 1.8 // so that some sentences end before the limit
		}
		dev.Upload(p.Data, v)
	}
}

// TestGreedyIsBeamOne: beam search with one hypothesis makes the greedy choices.
func TestGreedyIsBeamOne(t *testing.T) {
	for _, tc := range []struct {
		model string
		feed  bool
	}{{"sru", false}, {"lstm", true}, {"lstm", false}} {
		t.Run(fmt.Sprintf("%s_feed%v", tc.model, tc.feed), func(t *testing.T) {
			m, dev, _ := tinyModel(t, tc.model, tc.feed, false, 12)
			sharpen(m, dev, 5)
			g, err := greedy(m, dev, decodeSources)
			if err != nil {
				t.Fatal(err)
			}
			b, err := beamSearch(m, dev, decodeSources, 1, "none", 0)
			if err != nil {
				t.Fatal(err)
			}
			for i := range g {
				if !slices.Equal(g[i], b[i]) {
					t.Errorf("sentence %d: greedy %v, beam 1 %v", i, g[i], b[i])
				}
				if len(g[i]) > maxOutput(len(decodeSources[i])) {
					t.Errorf("sentence %d: %d tokens, over the limit", i, len(g[i]))
				}
			}
			t.Logf("greedy %v", g)
		})
	}
}

// TestGreedyMatchesTeacherForcing: the step-wise decoder gives the log-probabilities of the
// sequence forward used in training (the greedy output, fed back, is its own argmax).
func TestGreedyMatchesTeacherForcing(t *testing.T) {
	for _, model := range []string{"sru", "lstm"} {
		m, dev, _ := tinyModel(t, model, model == "lstm", false, 12)
		sharpen(m, dev, 6)
		out, err := greedy(m, dev, decodeSources)
		if err != nil {
			t.Fatal(err)
		}
		g := nn.NewGraph[float64](dev, nil)
		g.NoGrad = true
		b := makeBatch(decodeSources, out)
		logits := m.decode(g, b, m.encode(g, b))
		host := make([]float64, logits.Len())
		dev.Download(host, logits.Data)
		V := 12
		for i, y := range out {
			for step := range len(y) {
				row := host[(step*b.B+i)*V : (step*b.B+i+1)*V]
				best := -1
				for v := range V {
					if generable(v) && (best < 0 || row[v] > row[best]) {
						best = v
					}
				}
				if int32(best) != y[step] {
					t.Fatalf("%s sentence %d step %d: greedy chose %d, teacher-forced argmax %d", model, i, step, y[step], best)
				}
			}
		}
	}
}

// TestBeamExhaustive: with the beam as wide as the vocabulary and outputs of at most two
// tokens, beam search finds the most probable sequence of all ([EOS], [a, EOS] and [a, b]
// cut at the limit), scored here by the teacher-forced sequence forward.
func TestBeamExhaustive(t *testing.T) {
	const V = 9
	for _, tc := range []struct {
		model string
		feed  bool
	}{{"sru", false}, {"lstm", true}} {
		m, dev, _ := tinyModel(t, tc.model, tc.feed, false, V)
		sharpen(m, dev, 7)
		for si, src := range [][]int32{{3, 4, 5}, {6, 7}, {8}, {4, 5, 6, 7, 8}} {
			limit := func(int) int { return 2 }
			got, err := beamSearchLimit(m, dev, [][]int32{src}, V, "none", 0, limit)
			if err != nil {
				t.Fatal(err)
			}
			// Every first token a (not EOS), teacher-forced: log p(a) + log p(· | a).
			var firsts []int32
			for a := range V {
				if generable(a) && a != EOSID {
					firsts = append(firsts, int32(a))
				}
			}
			srcs, tgts := make([][]int32, len(firsts)), make([][]int32, len(firsts))
			for i, a := range firsts {
				srcs[i], tgts[i] = src, []int32{a}
			}
			g := nn.NewGraph[float64](dev, nil)
			g.NoGrad = true
			b := makeBatch(srcs, tgts)
			lp := g.LogSoftmax(m.decode(g, b, m.encode(g, b)))
			host := make([]float64, lp.Len())
			dev.Download(host, lp.Data)
			at := func(step, i, v int) float64 { return host[(step*b.B+i)*V+v] }
			best, bestScore := []int32{}, at(0, 0, EOSID) // [EOS]
			for i, a := range firsts {
				for v := range V {
					if !generable(v) {
						continue
					}
					s := at(0, i, int(a)) + at(1, i, v)
					if s > bestScore {
						best, bestScore = []int32{a}, s
						if v != EOSID {
							best = []int32{a, int32(v)}
						}
					}
				}
			}
			if !slices.Equal(got[0], best) {
				t.Errorf("%s source %d: beam %v, exhaustive best %v (%.6f)", tc.model, si, got[0], best, bestScore)
			}
		}
	}
}

func TestLengthPenalties(t *testing.T) {
	h := hypothesis{tokens: []int32{4, 5, 2}, score: -3}
	if got := penalized(h, "none", 0); got != -3 {
		t.Errorf("none: %g", got)
	}
	if got := penalized(h, "average", 0); got != -1 {
		t.Errorf("average: %g", got)
	}
	if got, want := penalized(h, "gnmt", 0.6), -3/math.Pow(8.0/6, 0.6); math.Abs(got-want) > 1e-15 {
		t.Errorf("gnmt: %g, want %g", got, want)
	}
	m, dev, _ := tinyModel(t, "sru", false, false, 12)
	sharpen(m, dev, 8)
	for _, lp := range LengthPenalties {
		out, err := beamSearch(m, dev, decodeSources, 5, lp, 0.6)
		if err != nil {
			t.Fatal(err)
		}
		for i, y := range out {
			if len(y) > maxOutput(len(decodeSources[i])) || slices.Contains(y, EOSID) {
				t.Errorf("%s sentence %d: %v", lp, i, y)
			}
		}
	}
}
