package squad

import (
	"math/rand/v2"
	"testing"
)

// bruteSpan scores every (i, j) pair of the full n×n matrix.
func bruteSpan(start, end []float64, n, maxSpan int) (first, last int, best float64) {
	best = -1e300
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if j < i || j-i+1 > maxSpan {
				continue
			}
			if v := start[i] + end[j]; v > best {
				best, first, last = v, i, j
			}
		}
	}
	return first, last, best
}

func TestBestSpanMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 2000; trial++ {
		n := 1 + rng.IntN(60)
		maxSpan := 1 + rng.IntN(20)
		start, end := make([]float64, n+rng.IntN(5)), make([]float64, n+5)
		for i := range start {
			start[i] = rng.NormFloat64()
			if rng.IntN(4) == 0 {
				start[i] = float64(rng.IntN(3)) // ties
			}
		}
		for i := range end {
			end[i] = rng.NormFloat64()
			if rng.IntN(4) == 0 {
				end[i] = float64(rng.IntN(3))
			}
		}
		if len(start) > n { // scores past n (padding) must be ignored
			start[n] = 1e9
		}
		end[n] = 1e9
		f, l := BestSpan(start, end, n, maxSpan)
		bf, bl, best := bruteSpan(start, end, n, maxSpan)
		if f != bf || l != bl {
			t.Fatalf("n=%d maxSpan=%d: BestSpan (%d, %d) = %g, brute force (%d, %d) = %g",
				n, maxSpan, f, l, start[f]+end[l], bf, bl, best)
		}
	}
}
