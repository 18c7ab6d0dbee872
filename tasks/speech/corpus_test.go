package speech

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// dataDir is $SRU_DATA. Without it the test is skipped, saying so; with it, a missing file
// rel fails the test (a broken data path must not pass as skipped).
func dataDir(t *testing.T, rel string) string {
	t.Helper()
	dir := os.Getenv("SRU_DATA")
	if dir == "" {
		t.Skip("SRU_DATA is not set: the staged speech data is needed")
	}
	if _, err := os.Stat(filepath.Join(dir, rel)); err != nil {
		t.Fatalf("SRU_DATA is set but the staged data is missing: %v", err)
	}
	return dir
}

func TestInventories(t *testing.T) {
	for _, c := range []struct {
		inv     *Inventory
		classes int
		text    string
		labels  []int
	}{
		{DigitWords, 11, "zero nine one", []int{1, 10, 2}},
		{DigitChars, 17, "six two", []int{10, 6, 15, 1, 11, 14, 8}},
		{YesNoWords, 3, "NO YES", []int{1, 2}},
		{YesNoChars, 7, "YES NO", []int{6, 2, 5, 1, 3, 4}},
	} {
		if c.inv.NumClasses() != c.classes || c.inv.Symbols[Blank] != BlankSymbol {
			t.Errorf("%s: %d classes %q, want %d with the blank first", c.inv.Name, c.inv.NumClasses(), c.inv.Symbols, c.classes)
		}
		got, err := c.inv.Encode(c.text)
		if err != nil || !slices.Equal(got, c.labels) {
			t.Errorf("%s: Encode(%q) = %v, %v; want %v", c.inv.Name, c.text, got, err, c.labels)
		}
		if back := c.inv.Decode(append([]int{Blank}, got...)); back != c.text {
			t.Errorf("%s: Decode = %q, want %q", c.inv.Name, back, c.text)
		}
	}
	if _, err := DigitWords.Encode("one eleven"); err == nil || !strings.Contains(err.Error(), `"eleven"`) {
		t.Errorf("unknown word: %v", err)
	}
	if _, err := DigitChars.Encode("one A"); err == nil {
		t.Error("unknown character: no error")
	}
}

// shippedRecordings are the three FSDD recordings of testdata.
func shippedRecordings(t *testing.T) []FSDDRecording {
	t.Helper()
	var recs []FSDDRecording
	for _, name := range []string{"2_theo_34.wav", "6_nicolas_7.wav", "6_yweweler_3.wav"} {
		a, err := ReadWAV(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		d, s, k, err := ParseFSDDName(name)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, FSDDRecording{Digit: d, Speaker: s, Take: k, Audio: a})
	}
	return recs
}

func TestParseFSDDName(t *testing.T) {
	d, s, k, err := ParseFSDDName("recordings/7_jackson_49.wav")
	if err != nil || d != 7 || s != "jackson" || k != 49 {
		t.Errorf("got %d %q %d %v", d, s, k, err)
	}
	for _, bad := range []string{"7_jackson.wav", "x_jackson_1.wav", "7_jackson_1.flac", "10_a_1.wav", "1__2.wav"} {
		if _, _, _, err := ParseFSDDName(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestConnectedDigitsDeterministic: the same seed gives the same corpus, another seed another
// one, and each string is its digits' recordings joined by gaps within the bounds.
func TestConnectedDigitsDeterministic(t *testing.T) {
	recs := shippedRecordings(t)
	cfg := DefaultConnectedDigitsConfig()
	cfg.TrainUtterances, cfg.TestUtterances = 20, 10
	a, err := ConnectedDigits(recs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ConnectedDigits(recs, cfg)
	if !sameUtterances(a.Train, b.Train) || !sameUtterances(a.Test, b.Test) {
		t.Error("the same seed gave two corpora")
	}
	cfg.Seed = 2
	c, _ := ConnectedDigits(recs, cfg)
	if sameUtterances(a.Train, c.Train) {
		t.Error("seeds 1 and 2 gave the same training set")
	}
	cfg.Seed, cfg.TrainUtterances = 1, 5
	d, _ := ConnectedDigits(recs, cfg)
	if !sameUtterances(a.Test, d.Test) {
		t.Error("the test set depends on the size of the training set")
	}
	// Pinned: a change to the drawing (or to math/rand/v2's streams) changes the corpus.
	var lens []int
	for _, u := range a.Test[:4] {
		lens = append(lens, len(u.Samples))
	}
	if got := fmt.Sprint(a.Train[0].Transcript, "|", a.Test[0].Transcript, "|", lens); got != pinnedConnected {
		t.Errorf("seed 1 draws %q, pinned %q", got, pinnedConnected)
	}
	digitLen := map[string]int{}
	for _, r := range recs {
		digitLen[r.Speaker] = len(r.Audio.Samples)
	}
	for _, u := range append(a.Train, a.Test...) {
		words := strings.Fields(u.Transcript)
		if len(words) < 1 || len(words) > 7 {
			t.Errorf("%s: %d digits", u.ID, len(words))
		}
		// Official split: yweweler's take 3 is the only test recording, the others train.
		isTestSet := strings.HasPrefix(u.ID, "test-")
		if isTestSet != (u.Speaker == "yweweler") {
			t.Errorf("%s: speaker %s", u.ID, u.Speaker)
		}
		speech := len(words) * digitLen[u.Speaker]
		minGap, maxGap := (len(words)+1)*int(0.05*8000)-len(words), (len(words)+1)*int(0.4*8000)+len(words)
		if g := len(u.Samples) - speech; g < minGap || g > maxGap {
			t.Errorf("%s: %d gap samples for %d digits, want %d..%d", u.ID, g, len(words), minGap, maxGap)
		}
		if _, err := DigitWords.Encode(u.Transcript); err != nil {
			t.Error(err)
		}
	}
	// Leave-one-speaker-out: nicolas's strings are the test set.
	cfg.TestSpeaker = "nicolas"
	loso, err := ConnectedDigits(recs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range loso.Test {
		if u.Speaker != "nicolas" || !strings.Contains(" "+u.Transcript+" ", " six ") {
			t.Errorf("loso test %s: %s %q", u.ID, u.Speaker, u.Transcript)
		}
	}
	for _, u := range loso.Train {
		if u.Speaker == "nicolas" {
			t.Errorf("loso train %s is the held-out speaker's", u.ID)
		}
	}
	cfg.TestSpeaker = "nobody"
	if _, err := ConnectedDigits(recs, cfg); err == nil {
		t.Error("unknown test speaker: no error")
	}
}

// pinnedConnected is what seed 1 draws from the shipped recordings: the first training and
// test transcripts and the lengths of the first four test strings.
const pinnedConnected = "six|six six six six six|[18969 19888 14056 4615]"

func sameUtterances(a, b []Utterance) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Speaker != b[i].Speaker || a[i].Transcript != b[i].Transcript || !slices.Equal(a[i].Samples, b[i].Samples) {
			return false
		}
	}
	return true
}

var staged struct {
	once sync.Once
	recs []FSDDRecording
	err  error
}

// stagedFSDD loads the staged FSDD once for all the tests (skipped without the data, or in
// -short mode).
func stagedFSDD(t *testing.T) []FSDDRecording {
	t.Helper()
	if testing.Short() {
		t.Skip("reads the staged FSDD")
	}
	dir := dataDir(t, FSDDArchive)
	staged.once.Do(func() {
		start := time.Now()
		staged.recs, staged.err = LoadFSDD(dir)
		t.Logf("FSDD: %d recordings read in %v", len(staged.recs), time.Since(start).Round(time.Millisecond))
	})
	if staged.err != nil {
		t.Fatal(staged.err)
	}
	return staged.recs
}

// TestStagedCorpora loads the staged FSDD and yesno archives and checks the sizes of every
// corpus and split.
func TestStagedCorpora(t *testing.T) {
	recs := stagedFSDD(t)
	if len(recs) != 3000 {
		t.Fatalf("%d FSDD recordings, want 3000", len(recs))
	}
	speakers := FSDDSpeakers(recs)
	if want := []string{"george", "jackson", "lucas", "nicolas", "theo", "yweweler"}; !slices.Equal(speakers, want) {
		t.Errorf("speakers %q, want %q", speakers, want)
	}
	iso, err := IsolatedDigits(recs, "")
	if err != nil || len(iso.Train) != 2700 || len(iso.Test) != 300 {
		t.Fatalf("isolated digits: %v", err)
	}
	loso, err := IsolatedDigits(recs, "theo")
	if err != nil || len(loso.Train) != 2500 || len(loso.Test) != 500 {
		t.Fatalf("isolated digits, theo held out: %v", err)
	}
	cfg := DefaultConnectedDigitsConfig()
	cfg.TrainUtterances, cfg.TestUtterances = 300, 100
	cd, err := ConnectedDigits(recs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var hours float64
	for _, u := range cd.Train {
		hours += u.Duration() / 3600
	}
	t.Logf("connected digits: %d train (%.2f h), %d test; first %q", len(cd.Train), hours, len(cd.Test), cd.Train[0].Transcript)

	yn, err := LoadYesNo(dataDir(t, YesNoArchive))
	if err != nil {
		t.Fatal(err)
	}
	if len(yn.Train) != 30 || len(yn.Test) != 30 || yn.Train[0].ID != "0_0_0_0_1_1_1_1" ||
		yn.Train[0].Transcript != "NO NO NO NO YES YES YES YES" {
		t.Fatalf("yesno: %d train, %d test, first %+v", len(yn.Train), len(yn.Test), yn.Train[0].ID)
	}
	for _, u := range append(yn.Train, yn.Test...) {
		if n := len(strings.Fields(u.Transcript)); n != 8 || u.SampleRate != 8000 {
			t.Errorf("yesno %s: %d words at %d Hz", u.ID, n, u.SampleRate)
		}
	}
}
