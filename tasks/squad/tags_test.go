package squad

import (
	"encoding/gob"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosru/gosru/experiments"
	"github.com/gosru/gosru/kernels"
)

// TestReplaceQuotes: prose's quote replacements, with every byte of the result mapped to the
// byte of the text it comes from.
func TestReplaceQuotes(t *testing.T) {
	text := "a “b” ‘c’ d&rsquo;e ü"
	clean, origin := replaceQuotes(text)
	if want := `a "b" 'c' d'e ü`; clean != want {
		t.Fatalf("replaced %q, want %q", clean, want)
	}
	if len(origin) != len(clean)+1 || origin[len(clean)] != len(text) {
		t.Fatalf("%d offsets for %d bytes, last %d", len(origin), len(clean), origin[len(origin)-1])
	}
	for j := range len(clean) {
		from := text[origin[j]:origin[j+1]]
		if !strings.HasPrefix(from, clean[j:j+1]) && from != "“" && from != "”" && from != "‘" && from != "’" && from != "&rsquo;" {
			t.Errorf("byte %d (%q) comes from %q", j, clean[j], from)
		}
	}
}

// TestAlignTags: a word of ours takes the tags of the prose token that covers its first byte;
// one that no prose token covers takes the unknown slots.
func TestAlignTags(t *testing.T) {
	text := "don't U.S.-led “x” 1,000"
	ours := Tokenize(text)
	// prose-like tokens: do | n't | U.S.-led | “x (as one token) ; the ” and 1,000 missing
	theirs := []proseToken{
		{Start: 0, End: 2, Tag: "VBP", Label: "O"},
		{Start: 2, End: 5, Tag: "RB", Label: "O"},
		{Start: 6, End: 14, Tag: "NNP", Label: "B-GPE"},
		{Start: 15, End: 19, Tag: "``", Label: "I-PERSON"},
	}
	pos, ner := make([]uint8, len(ours)), make([]uint8, len(ours))
	alignTags(ours, theirs, pos, ner)
	var got []string
	for i, w := range ours {
		p, n := "?", "?"
		if int(pos[i]) < len(POSTags) {
			p = POSTags[pos[i]]
		}
		if int(ner[i]) < len(NERLabels) {
			n = NERLabels[ner[i]]
		}
		got = append(got, w.Text+"/"+p+"/"+n)
	}
	want := []string{"don/VBP/O", "'/RB/O", "t/RB/O", "U/NNP/GPE", "./NNP/GPE", "S/NNP/GPE", "./NNP/GPE",
		"-/NNP/GPE", "led/NNP/GPE", "“/``/PERSON", "x/``/PERSON", "”/?/?", "1/?/?", ",/?/?", "000/?/?"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("aligned\n%q\nwant\n%q", got, want)
	}
	// Without NER, ner is left alone.
	alignTags(ours, theirs, pos, nil)
}

// TestProseAlignment runs prose on tricky text (contractions, possessives, curly and straight
// quotes, hyphens, abbreviations, numbers, currency, dashes, non-ASCII letters, a letter whose
// lower case is longer) and checks that every prose token lies on the text where prose read it
// and that each of our words is covered by the prose token that holds its first byte.
func TestProseAlignment(t *testing.T) {
	model, err := proseModel()
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{
		"John's, and Mary don't like “New York” or the U.S. in 1,000 ways—$5.3 million (well-known).",
		"Gödel's naïve Zürich-based 0 theory: 'quoted' \"double\" ‘single’ İİİ's end&rsquo;s.",
		"Barack Obama was born in Hawaii. He met Angela Merkel in Berlin, Germany.",
		"", "   ", "…", "東京 is in 日本.",
	}
	for _, text := range texts {
		theirs, err := proseTags(model, text, true)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		clean, _ := replaceQuotes(text)
		prev := 0
		for _, p := range theirs {
			if p.Start < prev || p.End <= p.Start || p.End > len(text) {
				t.Fatalf("%q: prose token at [%d, %d) after %d", text, p.Start, p.End, prev)
			}
			prev = p.End
			span, _ := replaceQuotes(text[p.Start:p.End])
			if !strings.Contains(clean, span) || strings.TrimSpace(span) != span {
				t.Errorf("%q: prose token %q", text, span)
			}
		}
		ours := Tokenize(text)
		pos, ner := make([]uint8, len(ours)), make([]uint8, len(ours))
		alignTags(ours, theirs, pos, ner)
		for i, w := range ours {
			var cover *proseToken
			for k := range theirs {
				if theirs[k].Start <= w.Start && w.Start < theirs[k].End {
					cover = &theirs[k]
				}
			}
			switch {
			case cover == nil && (int(pos[i]) != NumPOS-1 || int(ner[i]) != NumNER-1):
				t.Errorf("%q: %q is covered by no prose token but has slots %d, %d", text, w.Text, pos[i], ner[i])
			case cover != nil && (pos[i] != posSlot(cover.Tag) || ner[i] != nerSlot(cover.Label)):
				t.Errorf("%q: %q has slots %d, %d; its prose token %q/%s/%s", text, w.Text, pos[i], ner[i],
					text[cover.Start:cover.End], cover.Tag, cover.Label)
			}
		}
	}
	// Examples: the contraction's halves, a curly quote (3 bytes) as prose's straight one, a
	// possessive prose drops ("'s," after a name) in the unknown slot, a lone 0 in -NONE-.
	text := texts[0]
	theirs, _ := proseTags(model, text, true)
	ours := Tokenize(text)
	pos, ner := make([]uint8, len(ours)), make([]uint8, len(ours))
	alignTags(ours, theirs, pos, ner)
	tagOf := func(word string, nth int) string {
		for i, w := range ours {
			if w.Text == word {
				if nth--; nth < 0 {
					if int(pos[i]) == len(POSTags) {
						return "unknown"
					}
					return POSTags[pos[i]]
				}
			}
		}
		return "absent"
	}
	for _, c := range []struct {
		word string
		nth  int
		want string
	}{{"don", 0, "VBP"}, {"t", 0, "RB"}, {"s", 0, "unknown"}, {",", 0, "unknown"}, {"John", 0, "NNP"}, {"1", 0, "CD"}, {"000", 0, "CD"}} {
		if got := tagOf(c.word, c.nth); got != c.want {
			t.Errorf("%q: %q has tag %s, want %s", text, c.word, got, c.want)
		}
	}
}

// TestNERSlots: IOB labels lose their prefix; unknown labels and tags take the last slot.
func TestNERSlots(t *testing.T) {
	for label, want := range map[string]int{"O": 0, "B-PERSON": 1, "I-PERSON": 1, "B-GPE": 2, "I-GSP": 6, "B-DATE": NumNER - 1, "": NumNER - 1} {
		if got := int(nerSlot(label)); got != want {
			t.Errorf("nerSlot(%q) = %d, want %d", label, got, want)
		}
	}
	for tag, want := range map[string]int{"#": 0, "NNP": 21, "-NONE-": NumPOS - 2, "": NumPOS - 1, "-LRB-": NumPOS - 1} {
		if got := int(posSlot(tag)); got != want {
			t.Errorf("posSlot(%q) = %d, want %d", tag, got, want)
		}
	}
	if NumPOS != 48 || NumNER != 8 {
		t.Errorf("NumPOS %d, NumNER %d; want 48 and 8", NumPOS, NumNER)
	}
}

// TestConfigPOSNER: squad.pos and squad.ner are read strictly, default off, and widen the
// passage words' features.
func TestConfigPOSNER(t *testing.T) {
	e, err := experiments.Parse("x.toml", []byte("task = \"squad\"\n[squad]\npos = true\nner = true\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, ok := experiments.Section[Config](e)
	if !ok || !cfg.POS || !cfg.NER {
		t.Fatalf("parsed %v, pos %v, ner %v", ok, cfg.POS, cfg.NER)
	}
	if d := DefaultConfig(); d.POS || d.NER {
		t.Error("POS and NER are on by default")
	}
	if got, want := cfg.featureLayout().width(), NumFeatures+NumPOS+NumNER; got != want {
		t.Errorf("feature width %d, want %d", got, want)
	}
	if got := (Config{POS: true}).featureLayout().width(); got != NumPOS {
		t.Errorf("feature width with POS only %d, want %d", got, NumPOS)
	}
	for _, bad := range []string{"pos = 1\n", "pos_tags = true\n", "ner = \"yes\"\n"} {
		if _, err := experiments.Parse("x.toml", []byte("task = \"squad\"\n[squad]\n"+bad), nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := experiments.Parse("x.toml", []byte("task = \"squad\"\n"), []string{"squad.pos=true"}); err != nil {
		t.Errorf("-set squad.pos=true: %v", err)
	}
}

// TestDocInputWidth: with POS and NER on, the passage encoder's input is the word vector, the
// aligned question embedding, the manual features and both one-hots, and a batch carries
// exactly one POS and one NER slot per word.
func TestDocInputWidth(t *testing.T) {
	dir := sliceDataDir(t)
	for _, tagged := range []bool{false, true} {
		cfg := tinyConfig("sru")
		cfg.POS, cfg.NER = tagged, tagged
		task, err := New(cfg, dir, kernels.MustCPU[float32](), 1)
		if err != nil {
			t.Fatal(err)
		}
		want := 2*cfg.EmbeddingDim + NumFeatures
		if tagged {
			want += NumPOS + NumNER
		}
		if got := task.model.docRNN.InputSize(); got != want {
			t.Errorf("tagged %v: passage encoder input %d, want %d", tagged, got, want)
		}
		found := false
		for _, p := range task.ps.List() {
			if p.Name == "doc_rnn.rnn_lst.0.weight" { // the first SRU layer's [input, 2·3·hidden]
				found = true
				if p.Shape[0] != want {
					t.Errorf("tagged %v: %s has shape %v, want %d rows", tagged, p.Name, p.Shape, want)
				}
			}
		}
		if !found {
			t.Error("no parameter doc_rnn.rnn_lst.0.weight")
		}
		qs := task.evalBatches[0]
		b := makeBatch[float32](task.valid, qs)
		width := cfg.featureLayout().width()
		if len(b.features) != b.Lp*b.B*width {
			t.Fatalf("tagged %v: %d feature values for [%d, %d, %d]", tagged, len(b.features), b.Lp, b.B, width)
		}
		if !tagged {
			continue
		}
		for tt := range b.Lp {
			for k := range b.B {
				f := b.features[(tt*b.B+k)*width:][:width]
				var posSum, nerSum float32
				for _, v := range f[NumFeatures : NumFeatures+NumPOS] {
					posSum += v
				}
				for _, v := range f[NumFeatures+NumPOS:] {
					nerSum += v
				}
				if word := tt < b.docLens[k]; word && (posSum != 1 || nerSum != 1) || !word && (posSum != 0 || nerSum != 0) {
					t.Fatalf("position %d of question %d (length %d): POS sum %g, NER sum %g", tt, k, b.docLens[k], posSum, nerSum)
				}
			}
		}
	}
}

// TestPreparedCacheTagged: tagged preprocessing has its own cache files, named by what they
// hold; untagged runs keep reading theirs, including files written before the tags existed.
func TestPreparedCacheTagged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join("testdata", "dev-slice.json")
	plain, _, err := LoadPrepared(path, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, par := range plain.Paragraphs {
		if par.POS != nil || par.NER != nil {
			t.Fatal("untagged preprocessing holds tags")
		}
	}
	for _, tagging := range []Tagging{{POS: true}, {NER: true}, {POS: true, NER: true}} {
		// NER alone writes the file that POS+NER reads (prose's NER needs the POS tags).
		p1, cached, err := LoadPreparedTagged(path, dir, tagging)
		if wantCached := tagging.POS && tagging.NER; err != nil || cached != wantCached {
			t.Fatalf("%+v: first load: cached %v, %v", tagging, cached, err)
		}
		p2, cached2, err := LoadPreparedTagged(path, dir, tagging)
		if err != nil || !cached2 || !reflect.DeepEqual(p1, p2) {
			t.Fatalf("%+v: second load: cached %v, equal %v, %v", tagging, cached2, reflect.DeepEqual(p1, p2), err)
		}
		if err := p1.checkTags(tagging); err != nil {
			t.Fatal(err)
		}
		if p1.TagFailures != 0 {
			t.Errorf("%+v: prose failed on %d paragraphs", tagging, p1.TagFailures)
		}
		if !reflect.DeepEqual(p1.Paragraphs[0].Tokens, plain.Paragraphs[0].Tokens) {
			t.Errorf("%+v: tagging changed the tokens", tagging)
		}
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.gob"))
	for i := range names {
		names[i] = filepath.Base(names[i])
	}
	sum, _ := fileSHA256(path)
	want := []string{
		fmt.Sprintf("dev-slice.%s.v%d.gob", sum[:16], PreprocessVersion),
		fmt.Sprintf("dev-slice.%s.v%d.pos.t%d.gob", sum[:16], PreprocessVersion, TaggerVersion),
		fmt.Sprintf("dev-slice.%s.v%d.posner.t%d.gob", sum[:16], PreprocessVersion, TaggerVersion),
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("cache files %q, want %q", names, want)
	}

	// A cache file written before the tags existed (its paragraphs without POS and NER fields)
	// is still read by an untagged run.
	type oldParagraph struct {
		Article, Context string
		Tokens           []Token
	}
	type oldPrepared struct {
		Version    string
		Paragraphs []oldParagraph
		Questions  []PreparedQuestion
		Unaligned  int
	}
	old := oldPrepared{Version: plain.Version, Questions: plain.Questions, Unaligned: plain.Unaligned}
	for _, p := range plain.Paragraphs {
		old.Paragraphs = append(old.Paragraphs, oldParagraph{p.Article, p.Context, p.Tokens})
	}
	oldDir := t.TempDir()
	f, err := os.Create(filepath.Join(oldDir, want[0]))
	if err != nil {
		t.Fatal(err)
	}
	if err := gob.NewEncoder(f).Encode(old); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got, cached, err := LoadPrepared(path, oldDir)
	if err != nil || !cached || !reflect.DeepEqual(got, plain) {
		t.Fatalf("old cache file: cached %v, equal %v, %v", cached, reflect.DeepEqual(got, plain), err)
	}
	// A tagged run does not take it for its own.
	if _, cached, err := LoadPreparedTagged(path, oldDir, Tagging{POS: true}); err != nil || cached {
		t.Fatalf("tagged load over an untagged cache: cached %v, %v", cached, err)
	}
}

// TestTagDev measures prose's tagging of the dev contexts (SRU_DATA): throughput in our
// tokens per second with one goroutine (per wall and per CPU second: the machine may be shared), the share of our tokens in the unknown slot, the
// label counts, and whether a second tagging gives the same tags.
func TestTagDev(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	path := squadFile(t, DevFile)
	p, _, err := LoadPrepared(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := proseModel(); err != nil {
		t.Fatal(err)
	}
	tokens := 0
	for _, par := range p.Paragraphs {
		tokens += len(par.Tokens)
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	var first []PreparedParagraph
	for run, tagging := range []Tagging{{POS: true}, {POS: true, NER: true}, {POS: true, NER: true}} {
		start, cpuStart := time.Now(), cpuTime()
		failed, err := tagParagraphs(p, tagging)
		if err != nil {
			t.Fatal(err)
		}
		elapsed, cpu := time.Since(start), cpuTime()-cpuStart
		posCount, nerCount := make([]int, NumPOS), make([]int, NumNER)
		var examples []string // words in the unknown POS slot, in context
		for _, par := range p.Paragraphs {
			for i, w := range par.Tokens {
				if int(par.POS[i]) == NumPOS-1 && len(examples) < 12 && run == 0 {
					examples = append(examples, fmt.Sprintf("%q in %q", w.Text, par.Context[max(0, w.Start-12):min(len(par.Context), w.End+12)]))
				}
				posCount[par.POS[i]]++
				if tagging.NER {
					nerCount[par.NER[i]]++
				}
			}
		}
		t.Logf("%+v: %d paragraphs, %d tokens in %v (%v of CPU): %.0f tokens/s, %.0f tokens per CPU second (1 goroutine); "+
			"%d paragraphs failed; unknown POS %d (%.3f%%), unknown NER %d", tagging, len(p.Paragraphs), tokens,
			elapsed.Round(time.Millisecond), cpu.Round(time.Millisecond), float64(tokens)/elapsed.Seconds(), float64(tokens)/cpu.Seconds(),
			failed, posCount[NumPOS-1], 100*float64(posCount[NumPOS-1])/float64(tokens), nerCount[NumNER-1])
		if len(examples) > 0 {
			t.Logf("unknown POS, e.g.: %s", strings.Join(examples, "; "))
		}
		if tagging.NER {
			var labels []string
			for i, n := range nerCount {
				name := "unknown"
				if i < len(NERLabels) {
					name = NERLabels[i]
				}
				labels = append(labels, fmt.Sprintf("%s %d", name, n))
			}
			t.Logf("NER slots: %s", strings.Join(labels, ", "))
		}
		if run == 1 {
			first = make([]PreparedParagraph, len(p.Paragraphs))
			for i, par := range p.Paragraphs {
				first[i] = PreparedParagraph{POS: par.POS, NER: par.NER}
			}
		}
		if run == 2 {
			differ := 0
			for i, par := range p.Paragraphs {
				for k := range par.Tokens {
					if par.POS[k] != first[i].POS[k] || par.NER[k] != first[i].NER[k] {
						differ++
					}
				}
			}
			t.Logf("a second tagging differs on %d tokens", differ)
		}
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
