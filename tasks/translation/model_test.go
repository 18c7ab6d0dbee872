package translation

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// tinyModel builds a float64 model over a vocabulary of V ids without dropout.
func tinyModel(t testing.TB, model string, feed, tied bool, V int) (*model[float64], kernels.Device[float64], *nn.Params[float64]) {
	cfg := tinyConfig(model, feed)
	cfg.Dropout, cfg.EmbeddingDim, cfg.Hidden, cfg.TieEmbeddings = 0, 6, 6, tied
	dev := kernels.MustCPU[float64]()
	ps := nn.NewParams[float64](dev)
	m, err := newModel(ps, cfg, V, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	return m, dev, ps
}

func tinyBatch() *batch {
	return makeBatch([][]int32{{5, 6, 7}, {8, 9}, {10}}, [][]int32{{4, 5}, {6, 7, 8}, {9}})
}

// TestGradFiniteDifferences checks the gradient of the training loss (label smoothing 0.1)
// with respect to every parameter — embeddings, encoder, decoder, attention, linear_out,
// output — against float64 central differences, for the SRU without input feeding and the
// LSTM with and without it.
func TestGradFiniteDifferences(t *testing.T) {
	for _, tc := range []struct {
		model      string
		feed, tied bool
	}{{"sru", false, false}, {"sru", false, true}, {"lstm", true, false}, {"lstm", false, false}, {"sru", true, false}} {
		t.Run(fmt.Sprintf("%s_feed%v_tied%v", tc.model, tc.feed, tc.tied), func(t *testing.T) {
			const V = 12
			m, dev, ps := tinyModel(t, tc.model, tc.feed, tc.tied, V)
			b := tinyBatch()
			loss := func(g *nn.Graph[float64]) *nn.Tensor[float64] {
				logits := m.decode(g, b, m.encode(g, b))
				return g.CrossEntropySmoothed(logits, b.tgtOut, nil, PadID, 0.1)
			}
			g := nn.NewGraph[float64](dev, nil)
			g.Training = true
			ps.ZeroGrad()
			g.Backward(loss(g))
			eval := nn.NewGraph[float64](dev, nil)
			eval.NoGrad = true
			value := func() float64 {
				eval.Reset()
				out := make([]float64, 1)
				dev.Download(out, loss(eval).Data)
				return out[0]
			}
			rng := rand.New(rand.NewPCG(9, 9))
			worst := 0.0
			for _, p := range ps.List() {
				data := make([]float64, p.Len())
				grad := make([]float64, p.Len())
				dev.Download(data, p.Data)
				dev.Download(grad, p.Grad)
				for range 4 {
					i := rng.IntN(p.Len())
					const h = 1e-5
					old := data[i]
					data[i] = old + h
					dev.Upload(p.Data, data)
					up := value()
					data[i] = old - h
					dev.Upload(p.Data, data)
					down := value()
					data[i] = old
					dev.Upload(p.Data, data)
					num := (up - down) / (2 * h)
					diff := math.Abs(num-grad[i]) / math.Max(1e-3, math.Abs(num)+math.Abs(grad[i]))
					worst = max(worst, diff)
					if diff > 1e-6 {
						t.Errorf("%s[%d]: analytic %.10g, numeric %.10g", p.Name, i, grad[i], num)
					}
				}
			}
			t.Logf("worst relative difference %.2g", worst)
		})
	}
}
