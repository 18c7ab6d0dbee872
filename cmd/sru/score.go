package main

import (
	"encoding/json"
	"flag"
	"fmt"

	"github.com/gosru/gosru/score"
)

func init() {
	register(&command{
		name:    "score",
		summary: "score predictions with the official metrics: SQuAD EM/F1, sacreBLEU, WER/CER",
		run:     runScore,
	})
}

const scoreUsage = `score squad|bleu|wer [flags] FILES...

  sru score squad DATASET.json PREDICTIONS.json
      SQuAD v1.1 exact match and F1 as the official evaluate-v1.1.py: prints
      {"exact_match": X, "f1": Y}; its warnings (version, unanswered questions) go to stderr.
      The dataset may be .json, .json.gz or the official .zip.
  sru score bleu [-tokenize 13a|none] [-lowercase] [-json] HYP_FILE REF_FILE...
      Corpus BLEU as sacreBLEU 2.6.0: one segment per line, one reference file per
      reference stream; prints sacreBLEU's line with its signature, or with -json an object
      with score, counts, totals, precisions, bp, sys_len, ref_len and signature.
  sru score wer [-ids] [-json] REF_FILE HYP_FILE
      Word and character error rates by Levenshtein alignment, with substitutions,
      deletions and insertions. One utterance per line, or "id text" lines (matched by id,
      a missing hypothesis scored as empty); without -ids the format is guessed, and
      -ids=false forces line-by-line matching.

Flags may come before or after the files.`

func runScore(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("which metric? squad, bleu or wer (run 'sru help score')")
	}
	switch args[0] {
	case "-h", "-help", "--help":
		fmt.Fprintf(e.stderr, "usage: sru %s\n", scoreUsage)
		return flag.ErrHelp
	case "squad":
		return scoreSQuAD(e, args[1:])
	case "bleu":
		return scoreBLEU(e, args[1:])
	case "wer":
		return scoreWER(e, args[1:])
	}
	return usagef("unknown metric %q (squad, bleu or wer)", args[0])
}

func scoreSQuAD(e *env, args []string) error {
	fs := newFlags(e, "score squad", "score squad DATASET.json PREDICTIONS.json")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 2 {
		return usagef("squad: want DATASET.json PREDICTIONS.json, got %d files", len(files))
	}
	dataset, err := score.OpenSQuADDataset(files[0])
	if err != nil {
		return err
	}
	predictions, err := score.OpenSQuADPredictions(files[1])
	if err != nil {
		return err
	}
	res, err := score.SQuAD(dataset, predictions)
	if err != nil {
		return err
	}
	for _, w := range res.Warnings() {
		fmt.Fprintln(e.stderr, w)
	}
	_, err = fmt.Fprintln(e.stdout, res.OfficialJSON())
	return err
}

func scoreBLEU(e *env, args []string) error {
	fs := newFlags(e, "score bleu", "score bleu [-tokenize 13a|none] [-lowercase] [-json] HYP_FILE REF_FILE...")
	tokenize := fs.String("tokenize", "13a", "tokenizer: 13a (sacreBLEU's default) or none")
	lowercase := fs.Bool("lowercase", false, "lower-case hypotheses and references (case-insensitive BLEU)")
	jsonOut := fs.Bool("json", false, "print a JSON object instead of sacreBLEU's line")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *tokenize != "13a" && *tokenize != "none" {
		return usagef("bleu: -tokenize %q (13a or none)", *tokenize)
	}
	if len(files) < 2 {
		return usagef("bleu: want HYP_FILE and at least one REF_FILE, got %d files", len(files))
	}
	hyps, err := score.OpenBLEUSegments(files[0])
	if err != nil {
		return err
	}
	refs := make([][]string, len(files)-1)
	for k, path := range files[1:] {
		if refs[k], err = score.OpenBLEUSegments(path); err != nil {
			return err
		}
		if len(refs[k]) != len(hyps) {
			return fmt.Errorf("bleu: %s has %d lines, the hypotheses %s %d", path, len(refs[k]), files[0], len(hyps))
		}
	}
	res, err := score.CorpusBLEU(hyps, refs, score.BLEUOptions{Tokenize: *tokenize, Lowercase: *lowercase})
	if err != nil {
		return err
	}
	if *jsonOut {
		return json.NewEncoder(e.stdout).Encode(res)
	}
	_, err = fmt.Fprintln(e.stdout, res.LineWithSignature())
	return err
}

func scoreWER(e *env, args []string) error {
	fs := newFlags(e, "score wer", "score wer [-ids] [-json] REF_FILE HYP_FILE")
	ids := fs.Bool("ids", false, `lines are "id text" (utterances matched by id); -ids=false: plain lines; default: guessed`)
	jsonOut := fs.Bool("json", false, `print {"wer": {...}, "cer": {...}} instead of two lines`)
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 2 {
		return usagef("wer: want REF_FILE HYP_FILE, got %d files", len(files))
	}
	idsSet := false
	fs.Visit(func(f *flag.Flag) { idsSet = idsSet || f.Name == "ids" })
	refs, err := score.OpenTranscripts(files[0], false)
	if err != nil {
		return err
	}
	hyps, err := score.OpenTranscripts(files[1], false)
	if err != nil {
		return err
	}
	withIDs := *ids
	if !idsSet {
		withIDs = score.LooksLikeIDs(refs, hyps)
		if withIDs {
			fmt.Fprintln(e.stderr, `note: the files look like "id text" lines; matching utterances by id (-ids=false to match line by line)`)
		}
	}
	if withIDs {
		if refs, err = score.SplitIDs(refs, files[0]); err != nil {
			return err
		}
		if hyps, err = score.SplitIDs(hyps, files[1]); err != nil {
			return err
		}
		if len(refs) == 0 {
			return fmt.Errorf("wer: %s has no utterance", files[0])
		}
	}
	paired, err := score.PairTranscripts(refs, hyps)
	if err != nil {
		return fmt.Errorf("wer: %s and %s: %w", files[0], files[1], err)
	}
	if len(paired.MissingHyps) > 0 {
		fmt.Fprintf(e.stderr, "warning: %d utterances have no hypothesis and count as deleted (first %s)\n", len(paired.MissingHyps), paired.MissingHyps[0])
	}
	wer, err := score.WER(paired.Refs, paired.Hyps)
	if err != nil {
		return err
	}
	cer, err := score.CER(paired.Refs, paired.Hyps)
	if err != nil {
		return err
	}
	if *jsonOut {
		return json.NewEncoder(e.stdout).Encode(map[string]score.ErrorRate{"wer": wer, "cer": cer})
	}
	_, err = fmt.Fprintf(e.stdout, "%s\n%s\n", wer, cer)
	return err
}
