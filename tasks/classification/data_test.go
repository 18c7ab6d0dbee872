package classification

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseLines(t *testing.T) {
	// Latin-1 bytes (é = 0xe9), the byte 0x85 inside a line (NEL in latin-1: not a line break
	// here), a text with further spaces, a blank line, no final newline.
	data := []byte("1 caf\xe9 au lait\n0 one\x85two  three \n\n2 last")
	got, err := ParseLines(data, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []RawExample{
		{1, "café au lait", 1},
		{0, "one\u0085two  three ", 2},
		{2, "last", 4},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if toks := Tokens(got[1].Text); !slices.Equal(toks, []string{"one", "two", "three"}) {
		t.Errorf("Tokens(%q) = %q: U+0085 is whitespace to Python's split", got[1].Text, toks)
	}
	// Without latin1 the bytes stay as they are (UTF-8 files).
	utf, err := ParseLines([]byte("3 na\xc3\xafve\n"), false)
	if err != nil || utf[0].Text != "naïve" {
		t.Errorf("UTF-8: %+v, %v", utf, err)
	}
	for _, bad := range []string{"x text\n", "-1 text\n", "1.5 text\n"} {
		if _, err := ParseLines([]byte("0 fine\n"+bad), false); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: error %v, want one naming line 2", bad, err)
		}
	}
}

// TestCleanStr: outputs of the official clean_str (CPython 3 re.sub) on tricky inputs.
func TestCleanStr(t *testing.T) {
	cases := []struct{ in, lower, keepCase string }{
		{"It's a (great) film, isn't it?!",
			`it 's a \( great \) film , is n't it \? !`, `It 's a \( great \) film , is n't it \? !`},
		{"They've we're I'd you'll don't",
			"they 've we 're i 'd you 'll do n't", "They 've we 're I 'd you 'll do n't"},
		{"caf\u00e9 \u0085 na\u00efve -- 1/2 `quoted' co-op",
			"caf na ve 1 2 `quoted' co op", "caf na ve 1 2 `quoted' co op"},
		{"What'S U.S. ?", `what's u s \?`, `What'S U S \?`},
		{"ain't can't won't I'll'd", "ai n't ca n't wo n't i 'll 'd", "ai n't ca n't wo n't I 'll 'd"},
		{"  multiple   spaces\there  ", "multiple spaces here", "multiple spaces here"},
		{"--- ...", "", ""},
	}
	for _, c := range cases {
		if got := CleanStr(c.in, false); got != c.lower {
			t.Errorf("CleanStr(%q) = %q, want %q", c.in, got, c.lower)
		}
		if got := CleanStr(c.in, true); got != c.keepCase {
			t.Errorf("CleanStr(%q, keepCase) = %q, want %q", c.in, got, c.keepCase)
		}
	}
}

// TestPyRandom: values of CPython's random.seed(1234); getrandbits(32) and random.shuffle.
func TestPyRandom(t *testing.T) {
	r := newPyRandom(1234)
	for i, want := range []uint32{4150886329, 3342196574, 1892932127} {
		if got := r.uint32(); got != want {
			t.Fatalf("draw %d: %d, want %d", i, got, want)
		}
	}
	if got, want := newPyRandom(1234).perm(10), []int{2, 8, 3, 5, 6, 4, 9, 0, 1, 7}; !slices.Equal(got, want) {
		t.Fatalf("shuffle: %v, want %v", got, want)
	}
}

func digest(xs []Example) string {
	var b strings.Builder
	for i, x := range xs {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%d %s", x.Label, strings.Join(x.Words, " "))
	}
	s := sha1.Sum([]byte(b.String()))
	return hex.EncodeToString(s[:])[:12]
}

// officialSplits are digests (sha1 of "label words…" lines) of the splits that the official
// dataloader.py (read_*, cv_split, cv_split2 under CPython 3) gives, TREC kept in case.
var officialSplits = map[string][3]string{
	"trec/0": {"c79213e5e3c2", "61cde0f5db6b", "ff7c5de6a6cc"},
	"trec/3": {"61153ec34d63", "e53087d417e9", "ff7c5de6a6cc"},
	"mr/3":   {"2654ea515885", "9f53777e0eab", "760238e3a23e"},
	"subj/3": {"59986051894c", "6eef1543d449", "5765826eb267"},
	"cr/3":   {"a44622b3a89a", "6ab220ae6fe8", "2e1b937536fc"},
	"cr/9":   {"8d98f494571c", "de0c81525a7d", "d2afdd6d22e9"},
	"mpqa/3": {"3a853e53af9c", "0220cccae315", "e50f73f2a560"},
	"sst2/0": {"1ea4db191842", "4af8b0460597", "fa7778ff87a9"},
	"sst5/0": {"b82eff818dd7", "8924bd0e51df", "df670c472e5f"},
}

func checkOfficial(t *testing.T, key, dataDir string) {
	t.Helper()
	name, fold, _ := strings.Cut(key, "/")
	s, err := LoadSplits(name, int(fold[0]-'0'), false, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	got := [3]string{digest(s.Train), digest(s.Valid), digest(s.Test)}
	if got != officialSplits[key] {
		t.Errorf("%s: digests %v, official %v (sizes %d/%d/%d)", key, got, officialSplits[key],
			len(s.Train), len(s.Valid), len(s.Test))
	}
}

// TestOfficialSplitsTREC checks the embedded TREC against the official splits.
func TestOfficialSplitsTREC(t *testing.T) {
	checkOfficial(t, "trec/0", EmbeddedDataDir)
	checkOfficial(t, "trec/3", EmbeddedDataDir)
}

// TestOfficialSplits checks every dataset in $SRU_DATA; a missing file fails (checkOfficial).
// Without the variable it is skipped.
func TestOfficialSplits(t *testing.T) {
	dir := os.Getenv("SRU_DATA")
	if dir == "" {
		t.Skip("SRU_DATA is not set, so the staged classification datasets cannot be checked")
	}
	for key := range officialSplits {
		checkOfficial(t, key, dir)
	}
}

// writeData makes a data root whose classification/custrev.all has n numbered sentences.
func writeData(t *testing.T, n int) string {
	root := t.TempDir()
	dir := filepath.Join(root, "classification")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%d sentence number%d\n", i%2, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "custrev.all"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestFoldsPartition: the ten test folds partition the data; in each fold train, valid and test
// are disjoint and cover it, valid is 10% of the rest; loading twice gives the same split.
func TestFoldsPartition(t *testing.T) {
	const n = 137
	root := writeData(t, n)
	inTest := map[string]int{}
	for k := range NumFolds {
		s, err := LoadSplits("cr", k, false, root)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, part := range [][]Example{s.Train, s.Valid, s.Test} {
			for _, ex := range part {
				w := ex.Words[1]
				if seen[w] {
					t.Fatalf("fold %d: %s in two splits", k, w)
				}
				seen[w] = true
			}
		}
		if len(seen) != n {
			t.Fatalf("fold %d covers %d of %d examples", k, len(seen), n)
		}
		rest := n - len(s.Test)
		if len(s.Train) != int(float64(rest)*0.9) {
			t.Errorf("fold %d: %d train of %d", k, len(s.Train), rest)
		}
		for _, ex := range s.Test {
			inTest[ex.Words[1]]++
		}
		again, _ := LoadSplits("cr", k, false, root)
		if digest(again.Train) != digest(s.Train) || digest(again.Valid) != digest(s.Valid) || digest(again.Test) != digest(s.Test) {
			t.Errorf("fold %d: not deterministic", k)
		}
	}
	if len(inTest) != n {
		t.Fatalf("the test folds cover %d of %d examples", len(inTest), n)
	}
	for w, c := range inTest {
		if c != 1 {
			t.Fatalf("%s is in %d test folds", w, c)
		}
	}
}

// TestTRECValidFolds: the ten validation folds of TREC partition its training file (as
// multisets: the file repeats some questions) and the test set is always TREC.test.all.
func TestTRECValidFolds(t *testing.T) {
	key := func(ex Example) string { return fmt.Sprint(ex.Label, ex.Words) }
	file := map[string]int{}
	s0, err := LoadSplits("trec", 0, false, EmbeddedDataDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range append(slices.Clone(s0.Train), s0.Valid...) {
		file[key(ex)]++
	}
	valid := map[string]int{}
	n := 0
	for k := range NumFolds {
		s, err := LoadSplits("trec", k, false, EmbeddedDataDir)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Test) != 500 || len(s.Train)+len(s.Valid) != 5452 {
			t.Fatalf("fold %d: %d+%d train/valid, %d test", k, len(s.Train), len(s.Valid), len(s.Test))
		}
		for _, ex := range s.Valid {
			valid[key(ex)]++
			n++
		}
	}
	if n != 5452 {
		t.Fatalf("the validation folds hold %d examples, want 5452", n)
	}
	for k, c := range file {
		if valid[k] != c {
			t.Fatalf("%s: %d times in the file, %d in the validation folds", k, c, valid[k])
		}
	}
}

func TestMissingFile(t *testing.T) {
	root := writeData(t, 20)
	_, err := LoadSplits("mr", 0, false, root)
	if err == nil {
		t.Fatal("no error for a missing file")
	}
	for _, want := range []string{"rt-polarity.all", "sru data download mr", "SRU_DATA"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := LoadSplits("mr", 0, false, EmbeddedDataDir); err == nil || !strings.Contains(err.Error(), "only trec") {
		t.Errorf("embedded mr: %v", err)
	}
}

// TestLabelOutsideClasses: a label outside a dataset's declared classes (a stray 7 in binary
// CR, a 6 in five-class SST) is an error naming the file and line, not a model with more classes.
func TestLabelOutsideClasses(t *testing.T) {
	root := writeData(t, 40)
	file := filepath.Join(root, "classification", "custrev.all")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	lines[12] = "7 a stray label"
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadSplits("cr", 0, false, root)
	want := file + ":13: label 7 is not one of the 2 classes of cr (0..1)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want one containing %q", err, want)
	}

	dir := filepath.Join(root, "classification")
	for f, body := range map[string]string{"stsa.fine.train": "4 fine\n6 too high\n", "stsa.fine.dev": "0 a\n", "stsa.fine.test": "1 b\n"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err = LoadSplits("sst5", 0, false, root)
	if err == nil || !strings.Contains(err.Error(), "stsa.fine.train:2: label 6 is not one of the 5 classes of sst5") {
		t.Errorf("sst5: error %v", err)
	}
	s, err := LoadSplits("cr", 0, false, writeData(t, 40))
	if err != nil || s.Classes != 2 {
		t.Errorf("clean cr: classes %v, err %v", s, err)
	}
}
