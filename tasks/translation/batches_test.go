package translation

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestBucketBudget(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var ex []example
	for range 500 {
		ex = append(ex, example{src: make([]int32, 1+rng.IntN(30)), tgt: make([]int32, 1+rng.IntN(30))})
	}
	ex = append(ex, example{src: make([]int32, 300), tgt: make([]int32, 2)}) // wider than the budget
	const budget = 200
	a := shuffledBuckets(ex, budget, rand.New(rand.NewPCG(7, 7)))
	seen := make([]bool, len(ex))
	for _, b := range a {
		w := 0
		for _, i := range b {
			if seen[i] {
				t.Fatalf("example %d twice", i)
			}
			seen[i] = true
			w = max(w, ex[i].width())
		}
		if len(b)*w > budget && len(b) > 1 {
			t.Fatalf("batch of %d × width %d over the budget %d", len(b), w, budget)
		}
	}
	if slices.Contains(seen, false) {
		t.Fatal("an example is in no batch")
	}
	// The same RNG state gives the same batches; another gives others.
	if b := shuffledBuckets(ex, budget, rand.New(rand.NewPCG(7, 7))); !slices.EqualFunc(a, b, slices.Equal) {
		t.Fatal("the same seed gave other batches")
	}
	if c := shuffledBuckets(ex, budget, rand.New(rand.NewPCG(8, 7))); slices.EqualFunc(a, c, slices.Equal) {
		t.Fatal("another seed gave the same batches")
	}
}
