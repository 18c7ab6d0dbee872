package score_test

import (
	"encoding/json"
	"fmt"

	"github.com/gosru/gosru/score"
)

// The printed line is what sacreBLEU 2.6.0 prints for the same input.
func ExampleCorpusBLEU() {
	hyps := []string{"The cat sat on the mat.", "A dog barks at 12:30!"}
	refs := [][]string{{"The cat sat on a mat.", "A dog barked at 12:30!"}}
	r, err := score.CorpusBLEU(hyps, refs, score.BLEUOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(r)
	fmt.Println(r.Signature)
	// Output:
	// BLEU = 54.91 86.7/69.2/45.5/33.3 (BP = 1.000 ratio = 1.000 hyp_len = 15 ref_len = 15)
	// nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0
}

func ExampleSQuAD() {
	ds := &score.SQuADDataset{Version: "1.1", Questions: []score.SQuADQuestion{
		{ID: "q1", Answers: []string{"Denver Broncos"}},
		{ID: "q2", Answers: []string{"the 1970s", "1970s"}},
		{ID: "q3", Answers: []string{"Levi's Stadium"}},
	}}
	res, err := score.SQuAD(ds, map[string]string{"q1": "Broncos", "q2": "1970s"})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.OfficialJSON())
	fmt.Println(res.Warnings())
	// Output:
	// {"exact_match": 33.333333333333336, "f1": 55.55555555555555}
	// [Unanswered question q3 will receive score 0.]
}

func ExampleWER() {
	e, err := score.WER([]string{"one two three four", "yes no"}, []string{"one too three for four five", "yes no"})
	if err != nil {
		panic(err)
	}
	fmt.Println(e)
	out, _ := json.Marshal(e)
	fmt.Println(string(out))
	// Output:
	// WER 50.00% (S 1 D 0 I 2 / 6 words, 2 utterances)
	// {"unit":"word","rate":0.5,"errors":3,"hits":5,"substitutions":1,"deletions":0,"insertions":2,"ref_len":6,"hyp_len":8,"utterances":2}
}
