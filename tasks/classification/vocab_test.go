package classification

import (
	"slices"
	"strings"
	"testing"

	"github.com/gosru/gosru/kernels"
)

func ex(label int32, s string) Example { return Example{Label: label, Words: strings.Fields(s)} }

func TestVocab(t *testing.T) {
	v := BuildVocab([]Example{ex(0, "a b a"), ex(1, "c b")}, []string{"d", "a"})
	if want := []string{Unknown, "a", "b", "c", "d"}; !slices.Equal(v.Words, want) {
		t.Fatalf("words %q, want %q", v.Words, want)
	}
	if v.ID("c") != 3 || v.ID("zzz") != 0 {
		t.Errorf("ID(c) = %d, ID(zzz) = %d", v.ID("c"), v.ID("zzz"))
	}
}

// TestBatches: time-major ids with right padding (-1), the pad and last-step masks, length
// sorting (stable), truncation, an empty sentence, a short last batch.
func TestBatches(t *testing.T) {
	dev := kernels.MustCPU[float64]()
	exs := []Example{ex(0, "a b c"), ex(1, "a"), ex(0, ""), ex(1, "b c"), ex(0, "c c c c c")}
	v := BuildVocab(exs, nil) // <unk> a b c
	bs := makeBatches(dev, exs, v, 2, 4, true)
	// sorted by length: "" (0), "a" (1), "b c" (2), "a b c" (3), "c c c c c" cut to 4
	if len(bs) != 3 {
		t.Fatalf("%d batches, want 3", len(bs))
	}
	b := bs[0] // "", "a": L = 1
	if b.L != 1 || b.B != 2 || !slices.Equal(b.ids, []int32{-1, 1}) || !slices.Equal(b.labels, []int32{0, 1}) {
		t.Errorf("batch 0: L %d B %d ids %v labels %v", b.L, b.B, b.ids, b.labels)
	}
	if !slices.Equal(b.pad.Host(), []float64{1, 0}) || !slices.Equal(b.last.Host(), []float64{1, 0}) {
		t.Errorf("batch 0: pad %v last %v", b.pad.Host(), b.last.Host())
	}
	b = bs[1] // "b c", "a b c": L = 3, [t][b]
	if wantIDs := []int32{2, 1, 3, 2, -1, 3}; b.L != 3 || !slices.Equal(b.ids, wantIDs) {
		t.Errorf("batch 1: L %d ids %v, want 3 %v", b.L, b.ids, wantIDs)
	}
	if !slices.Equal(b.pad.Host(), []float64{0, 0, 0, 0, 1, 0}) || !slices.Equal(b.last.Host(), []float64{1, 1, 0, 1, 1, 0}) {
		t.Errorf("batch 1: pad %v last %v", b.pad.Host(), b.last.Host())
	}
	b = bs[2] // truncated to 4, alone
	if b.L != 4 || b.B != 1 || !slices.Equal(b.ids, []int32{3, 3, 3, 3}) || !slices.Equal(b.last.Host(), []float64{1, 1, 1, 0}) {
		t.Errorf("batch 2: L %d B %d ids %v last %v", b.L, b.B, b.ids, b.last.Host())
	}
	// Unsorted keeps the given order.
	un := makeBatches(dev, exs, v, 2, 0, false)
	if un[0].L != 3 || !slices.Equal(un[0].labels, []int32{0, 1}) || un[2].L != 5 {
		t.Errorf("unsorted: L %d labels %v, last L %d", un[0].L, un[0].labels, un[2].L)
	}
}
