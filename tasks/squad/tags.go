package squad

import (
	"fmt"
	"runtime"
	"strings"
	"sync"

	prose "github.com/jdkato/prose/v2"
)

// The POS and NER features of DrQA's reader (one-hot tags of every passage word) come here
// from prose (github.com/jdkato/prose/v2), a pure-Go tagger: an averaged perceptron POS tagger
// (Penn Treebank tags) and a maximum-entropy named-entity classifier, both with the weights
// prose ships. prose tokenises the text its own way; its tags reach our tokens by character
// offsets (alignTags).
//
// prose breaks ties between equal scores in Go's map order, so tagging the same text twice can
// differ on a rare word (1 of the 302,066 words of the dev contexts in one trial); a run reads
// the tags its preprocessing cache holds, so they stay fixed once computed.

// POSTags are the POS slots of the one-hot feature, in order: the 45 Penn Treebank tags of
// prose's tagger, then two tags prose emits by rule ("-" for a lone hyphen, "-NONE-" for
// tokens such as "0" and "*"). A word whose prose tag is none of these, or that no prose token
// covers, takes the slot after them (NumPOS-1).
var POSTags = []string{
	"#", "$", "''", "(", ")", ",", ".", ":", "``", "CC", "CD", "DT", "EX", "FW", "IN", "JJ",
	"JJR", "JJS", "LS", "MD", "NN", "NNP", "NNPS", "NNS", "PDT", "POS", "PRP", "PRP$", "RB",
	"RBR", "RBS", "RP", "SYM", "TO", "UH", "VB", "VBD", "VBG", "VBN", "VBP", "VBZ", "WDT",
	"WP", "WP$", "WRB", "-", "-NONE-",
}

// NERLabels are the NER slots of the one-hot feature, in order: outside any entity, then the
// entity types of prose's classifier (its IOB labels without the B-/I- prefix). A word that no
// prose token covers takes the slot after them (NumNER-1).
var NERLabels = []string{"O", "PERSON", "GPE", "ORGANIZATION", "LOCATION", "FACILITY", "GSP"}

// NumPOS and NumNER are the widths of the one-hot POS and NER features: a slot per tag, and
// the unknown slot last.
var (
	NumPOS = len(POSTags) + 1
	NumNER = len(NERLabels) + 1
)

// TaggerVersion names the tagging (prose's version and weights, the slot lists above, the
// alignment). It is part of the preprocessing cache's key of tagged files: change it whenever
// any of them changes.
const TaggerVersion = 1

// Tagging says which tags preprocessing computes.
type Tagging struct {
	POS, NER bool
}

// cacheSuffix names what a cache file holds beyond the tokens: "" without tags (the files of
// untagged runs keep their names), ".pos.t<TaggerVersion>" with POS tags, ".posner.t<..>"
// with NER tags (prose's NER reads the POS tags, so they are computed and kept too).
func (t Tagging) cacheSuffix() string {
	switch {
	case t.NER:
		return fmt.Sprintf(".posner.t%d", TaggerVersion)
	case t.POS:
		return fmt.Sprintf(".pos.t%d", TaggerVersion)
	}
	return ""
}

var (
	posIndex = sliceIndex(POSTags)
	nerIndex = sliceIndex(NERLabels)
)

func sliceIndex(xs []string) map[string]uint8 {
	m := make(map[string]uint8, len(xs))
	for i, x := range xs {
		m[x] = uint8(i)
	}
	return m
}

// posSlot and nerSlot are the one-hot slots of prose's tag and IOB label.
func posSlot(tag string) uint8 {
	if i, ok := posIndex[tag]; ok {
		return i
	}
	return uint8(NumPOS - 1)
}

func nerSlot(label string) uint8 {
	if label != "O" {
		if _, entity, ok := strings.Cut(label, "-"); ok {
			label = entity
		}
	}
	if i, ok := nerIndex[label]; ok {
		return i
	}
	return uint8(NumNER - 1)
}

// proseModel is prose's default model (its POS weights and NER classifier), loaded once:
// prose decodes its weights anew for every document that names no model.
var proseModel = sync.OnceValues(func() (*prose.Model, error) {
	doc, err := prose.NewDocument("", prose.WithSegmentation(false))
	if err != nil {
		return nil, err
	}
	return doc.Model, nil
})

// proseToken is a token of prose with its place in the original text (bytes [Start, End)).
type proseToken struct {
	Start, End int
	Tag, Label string
}

// proseTags runs prose on text (tokenising it prose's way; NER only when ner is set) and
// returns its tokens with their offsets in text. prose replaces curly quotes (and "&rsquo;")
// by ASCII quotes before tokenising and keeps no offsets; each token is found again in the
// text so replaced, then mapped back. A token of prose that cannot be found (prose dropped or
// changed the text) ends the list: the words after it take the unknown slots. A panic inside
// prose is returned as an error.
func proseTags(model *prose.Model, text string, ner bool) (toks []proseToken, err error) {
	clean, origin := replaceQuotes(text)
	defer func() {
		if r := recover(); r != nil {
			toks, err = nil, fmt.Errorf("squad: prose: %v", r)
		}
	}()
	doc, err := prose.NewDocument(clean, prose.UsingModel(model), prose.WithSegmentation(false),
		prose.WithExtraction(ner))
	if err != nil {
		return nil, fmt.Errorf("squad: prose: %w", err)
	}
	pt := doc.Tokens()
	toks = make([]proseToken, 0, len(pt))
	cursor := 0
	for _, t := range pt {
		if t.Text == "" {
			continue
		}
		i := strings.Index(clean[cursor:], t.Text)
		if i < 0 {
			break
		}
		start := cursor + i
		cursor = start + len(t.Text)
		toks = append(toks, proseToken{Start: origin[start], End: origin[cursor], Tag: t.Tag, Label: t.Label})
	}
	return toks, nil
}

// quoteReplacements are the replacements prose makes before tokenising.
var quoteReplacements = [][2]string{
	{"\u201c", `"`}, {"\u201d", `"`}, {"\u2018", "'"}, {"\u2019", "'"}, {"&rsquo;", "'"},
}

// replaceQuotes makes prose's replacements in text and returns the new text with, for every
// byte offset of it (and its end), the offset in text it comes from.
func replaceQuotes(text string) (string, []int) {
	var b strings.Builder
	b.Grow(len(text))
	origin := make([]int, 0, len(text)+1)
	for i := 0; i < len(text); {
		replaced := false
		for _, r := range quoteReplacements {
			if strings.HasPrefix(text[i:], r[0]) {
				b.WriteString(r[1])
				for range len(r[1]) {
					origin = append(origin, i)
				}
				i += len(r[0])
				replaced = true
				break
			}
		}
		if !replaced {
			b.WriteByte(text[i])
			origin = append(origin, i)
			i++
		}
	}
	return b.String(), append(origin, len(text))
}

// alignTags gives each of our tokens the slots of the prose token that covers its first byte;
// a token that none covers gets the unknown slots. ner is nil when NER is not wanted. Both
// token lists are in text order.
func alignTags(ours []Token, theirs []proseToken, pos, ner []uint8) {
	j := 0
	for i, t := range ours {
		for j < len(theirs) && theirs[j].End <= t.Start {
			j++
		}
		if j < len(theirs) && theirs[j].Start <= t.Start {
			pos[i] = posSlot(theirs[j].Tag)
			if ner != nil {
				ner[i] = nerSlot(theirs[j].Label)
			}
			continue
		}
		pos[i] = uint8(NumPOS - 1)
		if ner != nil {
			ner[i] = uint8(NumNER - 1)
		}
	}
}

// tagParagraphs computes the tags of every paragraph of p that tagging asks for, with as many
// goroutines as GOMAXPROCS (prose's model is only read). It returns the number of paragraphs
// prose failed on (their words take the unknown slots).
func tagParagraphs(p *Prepared, tagging Tagging) (failed int, err error) {
	if !tagging.POS && !tagging.NER {
		return 0, nil
	}
	model, err := proseModel()
	if err != nil {
		return 0, fmt.Errorf("squad: loading prose's model: %w", err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pi := range next {
				par := &p.Paragraphs[pi]
				par.POS = make([]uint8, len(par.Tokens))
				if tagging.NER {
					par.NER = make([]uint8, len(par.Tokens))
				}
				toks, err := proseTags(model, par.Context, tagging.NER)
				if err != nil {
					mu.Lock()
					failed++
					mu.Unlock()
				}
				alignTags(par.Tokens, toks, par.POS, par.NER)
			}
		}()
	}
	for pi := range p.Paragraphs {
		next <- pi
	}
	close(next)
	wg.Wait()
	return failed, nil
}
