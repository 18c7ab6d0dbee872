package score

import (
	"encoding/json"
	"math"
	"testing"
)

type bleuCase struct {
	Kind              string     `json:"kind"`
	Tokenize          string     `json:"tokenize"`
	Lowercase         bool       `json:"lowercase"`
	SmoothMethod      string     `json:"smooth_method"`
	UseEffectiveOrder bool       `json:"use_effective_order"`
	Hypotheses        []string   `json:"hypotheses"`
	References        [][]string `json:"references"`
	Score             float64    `json:"score"`
	Counts            []int      `json:"counts"`
	Totals            []int      `json:"totals"`
	Precisions        []float64  `json:"precisions"`
	BP                float64    `json:"bp"`
	SysLen            int        `json:"sys_len"`
	RefLen            int        `json:"ref_len"`
	Signature         string     `json:"signature"`
	Formatted         string     `json:"formatted"`
}

// relDiff is |a-b| relative to the larger magnitude (absolute below 1).
func relDiff(a, b float64) float64 {
	return math.Abs(a-b) / max(1, math.Abs(a), math.Abs(b))
}

// TestGoldenBLEU holds CorpusBLEU and SentenceBLEU against sacreBLEU 2.6.0 on every case in
// $SRU_GOLDEN_BLEU_DIR (default ../shared/golden/bleu): counts, totals and lengths exactly,
// score, precisions and bp within 1e-9 relative, the signature and the printed line exactly.
func TestGoldenBLEU(t *testing.T) {
	var maxDiff float64
	eachGolden(t, "SRU_GOLDEN_BLEU_DIR", "bleu", func(t *testing.T, raw []byte) { checkBLEUCase(t, raw, &maxDiff) })
	t.Logf("max relative diff of score, precisions, bp: %.3g", maxDiff)
}

// checkBLEUCase checks one BLEU case, raising *maxDiff to its largest relative difference.
func checkBLEUCase(t *testing.T, raw []byte, maxDiff *float64) {
	var c bleuCase
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	opts := BLEUOptions{Tokenize: c.Tokenize, Lowercase: c.Lowercase, Smooth: c.SmoothMethod, EffectiveOrder: c.UseEffectiveOrder}
	var res BLEUResult
	var err error
	switch c.Kind {
	case "bleu":
		res, err = CorpusBLEU(c.Hypotheses, c.References, opts)
	case "sentence_bleu":
		if len(c.Hypotheses) != 1 || !c.UseEffectiveOrder {
			t.Fatalf("sentence case with %d hypotheses, effective order %v", len(c.Hypotheses), c.UseEffectiveOrder)
		}
		refs := make([]string, len(c.References))
		for k, stream := range c.References {
			refs[k] = stream[0]
		}
		res, err = SentenceBLEU(c.Hypotheses[0], refs, opts)
	default:
		t.Fatalf("unknown case kind %q", c.Kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	if res.SysLen != c.SysLen || res.RefLen != c.RefLen || !equalInts(res.Counts[:], c.Counts) || !equalInts(res.Totals[:], c.Totals) {
		t.Errorf("counts %v totals %v sys_len %d ref_len %d, want %v %v %d %d",
			res.Counts, res.Totals, res.SysLen, res.RefLen, c.Counts, c.Totals, c.SysLen, c.RefLen)
	}
	d := max(relDiff(res.Score, c.Score), relDiff(res.BP, c.BP))
	if len(c.Precisions) != bleuMaxOrder {
		t.Fatalf("%d precisions in the case", len(c.Precisions))
	}
	for n, p := range c.Precisions {
		d = max(d, relDiff(res.Precisions[n], p))
	}
	*maxDiff = max(*maxDiff, d)
	if d > 1e-9 {
		t.Errorf("score %v precisions %v bp %v, want %v %v %v", res.Score, res.Precisions, res.BP, c.Score, c.Precisions, c.BP)
	}
	if res.Signature != c.Signature {
		t.Errorf("signature %q, want %q", res.Signature, c.Signature)
	}
	if got := res.String(); got != c.Formatted {
		t.Errorf("line %q, want %q", got, c.Formatted)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
