package translation

import (
	"bytes"
	"cmp"
	"container/heap"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Marker stands for the space before a word, as in sentencepiece: "a cat" is the symbols
// "▁a▁cat". Decoding turns every marker back into a space and drops the one before the first
// word, so decode(encode(s)) == s for every text without a literal U+2581 (sentencepiece has
// the same rule).
const Marker = "▁"

// Special token ids of every vocabulary.
const (
	PadID = 0 // padding (ignored by the loss)
	BOSID = 1 // the decoder's first input
	EOSID = 2 // the end of a sentence
	// byteBase is the id of the byte 0x00: ids byteBase..byteBase+255 are the 256 bytes, which
	// spell any character the training text did not contain (sentencepiece's byte fallback).
	byteBase = 3
)

// BPE is a byte-pair-encoding vocabulary: the specials, the 256 byte tokens, every character
// of the training text, then one symbol per merge, in the order the merges were learned.
type BPE struct {
	// Pieces are the tokens by id: "<pad>", "<s>", "</s>", "<0x00>".."<0xFF>", characters,
	// merged symbols.
	Pieces []string
	// Merges are the learned merges in order (rank = index): the two symbols joined.
	Merges [][2]string

	ids   map[string]int32 // piece → id (characters and merged symbols)
	ranks map[[2]string]int
}

// BPEConfig sets the training of a vocabulary.
type BPEConfig struct {
	// Merges is the number of merges to learn (fewer when no pair occurs twice).
	Merges int
	// MinFrequency is the least count of a character to get its own id (rarer ones are spelled
	// in bytes); 1 keeps every character of the training text.
	MinFrequency int
}

// words splits a text into marked words: "a  b" → "▁a", "▁", "▁b". The empty text has none.
func words(text string) []string {
	if text == "" {
		return nil
	}
	parts := strings.Split(text, " ")
	for i, p := range parts {
		parts[i] = Marker + p
	}
	return parts
}

// TrainBPE learns merges from texts deterministically: word counts are taken over every
// text, and each merge joins the adjacent pair of symbols with the highest count (weighted by
// word frequency). Ties are broken by a total order on the pair: the smaller left symbol in
// byte order first, then the smaller right symbol. So the same texts and config give the same
// merges, whatever the order of map iteration.
func TrainBPE(texts []string, cfg BPEConfig) (*BPE, error) {
	if cfg.Merges < 0 || cfg.MinFrequency < 1 {
		return nil, fmt.Errorf("translation: BPE with %d merges and minimum frequency %d", cfg.Merges, cfg.MinFrequency)
	}
	wordCount := map[string]int{}
	for _, t := range texts {
		for _, w := range words(t) {
			wordCount[w]++
		}
	}
	uniq := make([]string, 0, len(wordCount))
	for w := range wordCount {
		uniq = append(uniq, w)
	}
	slices.Sort(uniq)

	charCount := map[string]int{}
	for _, w := range uniq {
		for _, r := range w {
			charCount[string(r)] += wordCount[w]
		}
	}
	chars := make([]string, 0, len(charCount))
	for c, n := range charCount {
		if n >= cfg.MinFrequency || c == Marker {
			chars = append(chars, c)
		}
	}
	// Frequent characters first; equal counts in byte order.
	slices.SortFunc(chars, func(a, b string) int {
		return cmp.Or(cmp.Compare(charCount[b], charCount[a]), strings.Compare(a, b))
	})
	b := newBPE(chars, nil)

	// Symbols are ids into table (a pair is two ids in one uint64); a word is a slice of
	// symbols. Words with a character below the minimum frequency are left out of the pair
	// counts (they are spelled in bytes).
	var table []string
	symID := map[string]int32{}
	sym := func(s string) int32 {
		id, ok := symID[s]
		if !ok {
			id = int32(len(table))
			symID[s] = id
			table = append(table, s)
		}
		return id
	}
	key := func(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }
	type word struct {
		syms  []int32
		count int
	}
	ws := make([]word, 0, len(uniq))
	for _, w := range uniq {
		syms := make([]int32, 0, len(w))
		ok := true
		for _, r := range w {
			s := string(r)
			if _, known := b.ids[s]; !known {
				ok = false
				break
			}
			syms = append(syms, sym(s))
		}
		if ok {
			ws = append(ws, word{syms, wordCount[w]})
		}
	}
	counts := map[uint64]int{}
	where := map[uint64][]int32{} // words that contain the pair (may hold stale entries)
	for i, w := range ws {
		for j := 0; j+1 < len(w.syms); j++ {
			p := key(w.syms[j], w.syms[j+1])
			counts[p] += w.count
			where[p] = append(where[p], int32(i))
		}
	}
	h := &pairHeap{table: &table}
	for p, n := range counts {
		h.items = append(h.items, pairCount{p, n})
	}
	heap.Init(h)

	seen := make([]bool, len(ws))
	var touchedWords []int32
	changed := map[uint64]bool{}
	for len(b.Merges) < cfg.Merges && h.Len() > 0 {
		top := heap.Pop(h).(pairCount)
		if counts[top.pair] != top.count { // stale entry
			continue
		}
		if top.count < 2 {
			break
		}
		p := top.pair
		left, right := int32(p>>32), int32(uint32(p))
		b.addMerge([2]string{table[left], table[right]})
		merged := sym(table[left] + table[right])
		clear(changed)
		for _, wi := range touchedWords {
			seen[wi] = false
		}
		touchedWords = touchedWords[:0]
		for _, wi := range where[p] {
			if seen[wi] {
				continue
			}
			seen[wi] = true
			touchedWords = append(touchedWords, wi)
			w := &ws[wi]
			// Take the word's pairs out, merge, put the new pairs in: simple and exact when
			// occurrences overlap ("a a a") or neighbour each other ("a b a b").
			for j := 0; j+1 < len(w.syms); j++ {
				q := key(w.syms[j], w.syms[j+1])
				counts[q] -= w.count
				changed[q] = true
			}
			out := w.syms[:0]
			for j := 0; j < len(w.syms); j++ {
				if j+1 < len(w.syms) && w.syms[j] == left && w.syms[j+1] == right {
					out = append(out, merged)
					j++
				} else {
					out = append(out, w.syms[j])
				}
			}
			w.syms = out
			for j := 0; j+1 < len(out); j++ {
				q := key(out[j], out[j+1])
				if out[j] == merged || out[j+1] == merged { // a new pair; the others list the word already
					where[q] = append(where[q], wi)
				}
				counts[q] += w.count
				changed[q] = true
			}
		}
		delete(where, p)
		keys := make([]uint64, 0, len(changed))
		for k := range changed {
			keys = append(keys, k)
		}
		slices.Sort(keys) // a fixed push order (the heap's result does not depend on it)
		for _, k := range keys {
			if counts[k] > 0 {
				heap.Push(h, pairCount{k, counts[k]})
			} else {
				delete(counts, k)
			}
		}
	}
	return b, nil
}

func comparePairs(a, b [2]string) int {
	return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1]))
}

type pairCount struct {
	pair  uint64 // left symbol id << 32 | right symbol id
	count int
}

// pairHeap pops the highest count first, ties by comparePairs on the symbols' strings.
type pairHeap struct {
	items []pairCount
	table *[]string
}

func (h *pairHeap) Len() int { return len(h.items) }
func (h *pairHeap) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	if a.count != b.count {
		return a.count > b.count
	}
	t := *h.table
	return comparePairs([2]string{t[a.pair>>32], t[uint32(a.pair)]}, [2]string{t[b.pair>>32], t[uint32(b.pair)]}) < 0
}
func (h *pairHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *pairHeap) Push(x any)    { h.items = append(h.items, x.(pairCount)) }
func (h *pairHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// newBPE builds the vocabulary from its characters and merges.
func newBPE(chars []string, merges [][2]string) *BPE {
	b := &BPE{ids: map[string]int32{}, ranks: map[[2]string]int{}}
	b.Pieces = append(b.Pieces, "<pad>", "<s>", "</s>")
	for i := 0; i < 256; i++ {
		b.Pieces = append(b.Pieces, fmt.Sprintf("<0x%02X>", i))
	}
	for _, c := range chars {
		b.addPiece(c)
	}
	for _, m := range merges {
		b.addMerge(m)
	}
	return b
}

func (b *BPE) addPiece(s string) {
	if _, ok := b.ids[s]; !ok {
		b.ids[s] = int32(len(b.Pieces))
		b.Pieces = append(b.Pieces, s)
	}
}

func (b *BPE) addMerge(m [2]string) {
	b.ranks[m] = len(b.Merges)
	b.Merges = append(b.Merges, m)
	b.addPiece(m[0] + m[1])
}

// Size is the number of ids.
func (b *BPE) Size() int { return len(b.Pieces) }

// Encode returns the ids of a text (without BOS or EOS). Characters outside the vocabulary
// are spelled as their UTF-8 bytes.
func (b *BPE) Encode(text string) []int32 { return b.EncodeCached(text, nil) }

// EncodeCached is Encode with a cache of encoded words (nil: none), for encoding a corpus,
// whose words repeat. The cache is the caller's: not safe for concurrent use.
func (b *BPE) EncodeCached(text string, cache map[string][]int32) []int32 {
	var ids []int32
	for _, w := range words(text) {
		if cache != nil {
			if c, ok := cache[w]; ok {
				ids = append(ids, c...)
				continue
			}
		}
		n := len(ids)
		ids = b.encodeWord(ids, w)
		if cache != nil {
			cache[w] = ids[n:len(ids):len(ids)]
		}
	}
	return ids
}

// encodeWord appends the ids of one marked word.
func (b *BPE) encodeWord(ids []int32, w string) []int32 {
	var syms []string
	for _, r := range w {
		syms = append(syms, string(r))
	}
	// Apply the lowest-ranked merge present, leftmost first, until none applies.
	for len(syms) > 1 {
		best, at := -1, -1
		for j := 0; j+1 < len(syms); j++ {
			if r, ok := b.ranks[[2]string{syms[j], syms[j+1]}]; ok && (best < 0 || r < best) {
				best, at = r, j
			}
		}
		if best < 0 {
			break
		}
		m := b.Merges[best]
		out := syms[:0]
		for j := 0; j < len(syms); j++ {
			if j >= at && j+1 < len(syms) && syms[j] == m[0] && syms[j+1] == m[1] {
				out = append(out, m[0]+m[1])
				j++
			} else {
				out = append(out, syms[j])
			}
		}
		syms = out
	}
	for _, s := range syms {
		if id, ok := b.ids[s]; ok {
			ids = append(ids, id)
			continue
		}
		for i := 0; i < len(s); i++ {
			ids = append(ids, byteBase+int32(s[i]))
		}
	}
	return ids
}

// Decode returns the text of ids: pieces joined, markers turned into spaces, the leading
// space dropped. Specials are skipped; byte tokens are joined into bytes (a model may emit an
// invalid UTF-8 sequence, which is kept as it is).
func (b *BPE) Decode(ids []int32) string {
	var buf bytes.Buffer
	for _, id := range ids {
		switch {
		case id < byteBase || int(id) >= len(b.Pieces):
			continue
		case id < byteBase+256:
			buf.WriteByte(byte(id - byteBase))
		default:
			buf.WriteString(b.Pieces[id])
		}
	}
	s := strings.ReplaceAll(buf.String(), Marker, " ")
	return strings.TrimPrefix(s, " ")
}

// bpeFile is the saved form of a vocabulary.
type bpeFile struct {
	Chars  []string    `json:"chars"`
	Merges [][2]string `json:"merges"`
}

// MarshalJSON saves the characters and merges (the pieces follow from them).
func (b *BPE) MarshalJSON() ([]byte, error) {
	var chars []string
	for _, p := range b.Pieces[byteBase+256:] {
		if utf8.RuneCountInString(p) == 1 {
			chars = append(chars, p)
		}
	}
	// Merged symbols of one character cannot occur (a merge joins two non-empty symbols), so
	// the single-rune pieces are exactly the characters.
	return json.Marshal(bpeFile{Chars: chars, Merges: b.Merges})
}

// UnmarshalJSON loads what MarshalJSON saved.
func (b *BPE) UnmarshalJSON(data []byte) error {
	var f bpeFile
	if err := json.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("translation: BPE vocabulary: %w", err)
	}
	*b = *newBPE(f.Chars, f.Merges)
	return nil
}
