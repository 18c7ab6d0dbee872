// Package score computes the official metrics of the paper's output-judged tasks, exactly as
// their reference implementations do:
//
//   - SQuAD v1.1 exact match and F1 (the official evaluate-v1.1.py): [SQuAD], [SQuADAnswerScore],
//     [NormalizeAnswer], with [ReadSQuADDataset] and [ReadSQuADPredictions] for the official files;
//   - BLEU as sacreBLEU 2.6.0 computes it (tokenizers 13a and none, lower-casing, exp smoothing,
//     several reference streams, the signature and the printed score line): [CorpusBLEU],
//     [SentenceBLEU], [Tokenize13a];
//   - word and character error rates by Levenshtein alignment, with substitutions, deletions
//     and insertions: [WER], [CER], [Align], with [ReadTranscripts] and [PairTranscripts] for
//     one-utterance-per-line and "id text" files.
//
// The references are Python programs, so the text handling follows Python 3's str semantics
// where Go's defaults differ: str.lower (full case mapping: "İ" becomes "i" + U+0307, a final
// capital sigma becomes "ς"), str.split and str.rstrip (Unicode whitespace, including the
// separators U+001C..U+001F), and the Unicode-aware \b of Python's re. The golden tests
// (TestGoldenSQuAD, TestGoldenBLEU) hold the package against cases produced by the reference
// programs themselves.
package score
