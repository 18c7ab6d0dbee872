package speech

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Utterance is one training or test example: a mono signal (unscaled int16 values as
// float64, Kaldi's convention) and its transcript, words separated by single spaces.
type Utterance struct {
	ID      string
	Speaker string
	// Transcript is, for example, "one seven three" or "NO YES YES NO NO NO YES NO".
	Transcript string
	SampleRate int
	Samples    []float64
}

// Duration is the length of the signal in seconds.
func (u *Utterance) Duration() float64 { return float64(len(u.Samples)) / float64(u.SampleRate) }

// Corpus is a task's data: its train and test utterances and the label inventories that
// suit its transcripts.
type Corpus struct {
	Name        string
	Train, Test []Utterance
	// Words and Chars are the word and character inventories of the corpus.
	Words, Chars *Inventory
}

// FSDDRecording is one recording of the Free Spoken Digit Dataset, named
// {digit}_{speaker}_{take}.wav.
type FSDDRecording struct {
	Digit   int
	Speaker string
	Take    int
	Audio   *Audio
}

// ID is the recording's name without ".wav", e.g. "6_theo_12".
func (r *FSDDRecording) ID() string { return fmt.Sprintf("%d_%s_%d", r.Digit, r.Speaker, r.Take) }

// FSDDTestTakes is the official FSDD split: takes 0..4 of every speaker and digit are test
// (300 recordings), takes 5..49 train (2,700).
const FSDDTestTakes = 5

// Paths of the staged corpora under the data directory ($SRU_DATA).
const (
	FSDDArchive  = "speech/fsdd/fsdd_recordings.tar.gz"
	YesNoArchive = "speech/yesno/waves_yesno.tar.gz"
)

// ParseFSDDName parses a recording's base name "{digit}_{speaker}_{take}.wav".
func ParseFSDDName(name string) (digit int, speaker string, take int, err error) {
	base, ok := strings.CutSuffix(path.Base(name), ".wav")
	parts := strings.Split(base, "_")
	if !ok || len(parts) != 3 || parts[1] == "" {
		return 0, "", 0, fmt.Errorf("speech: FSDD file name %q is not {digit}_{speaker}_{take}.wav", name)
	}
	digit, err1 := strconv.Atoi(parts[0])
	take, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || digit < 0 || digit > 9 || take < 0 {
		return 0, "", 0, fmt.Errorf("speech: FSDD file name %q is not {digit}_{speaker}_{take}.wav", name)
	}
	return digit, parts[1], take, nil
}

// LoadFSDD reads every recording of the FSDD archive under dataDir (FSDDArchive), decoding
// the tar members directly. Recordings come sorted by speaker, digit and take; each must be
// 8 kHz mono.
func LoadFSDD(dataDir string) ([]FSDDRecording, error) {
	var recs []FSDDRecording
	err := eachWAVMember(filepath.Join(dataDir, FSDDArchive), func(name string, a *Audio) error {
		digit, speaker, take, err := ParseFSDDName(name)
		if err != nil {
			return err
		}
		if a.Channels != 1 || a.SampleRate != 8000 {
			return fmt.Errorf("speech: %s: %d Hz, %d channels; FSDD is 8 kHz mono", name, a.SampleRate, a.Channels)
		}
		recs = append(recs, FSDDRecording{Digit: digit, Speaker: speaker, Take: take, Audio: a})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(recs, func(i, j int) bool {
		a, b := recs[i], recs[j]
		if a.Speaker != b.Speaker {
			return a.Speaker < b.Speaker
		}
		if a.Digit != b.Digit {
			return a.Digit < b.Digit
		}
		return a.Take < b.Take
	})
	return recs, nil
}

// LoadYesNo reads the Kaldi yesno corpus under dataDir (YesNoArchive) with Kaldi's split: the
// file names sorted, the first half train and the second half test (30 and 30). Transcripts
// are YES and NO words, from the 1s and 0s of the file name.
func LoadYesNo(dataDir string) (*Corpus, error) {
	var utts []Utterance
	err := eachWAVMember(filepath.Join(dataDir, YesNoArchive), func(name string, a *Audio) error {
		base := strings.TrimSuffix(path.Base(name), ".wav")
		var words []string
		for _, bit := range strings.Split(base, "_") {
			switch bit {
			case "0":
				words = append(words, "NO")
			case "1":
				words = append(words, "YES")
			default:
				return fmt.Errorf("speech: yesno file name %q is not a sequence of 0 and 1 joined by _", name)
			}
		}
		if a.Channels != 1 {
			return fmt.Errorf("speech: %s: %d channels; yesno is mono", name, a.Channels)
		}
		utts = append(utts, Utterance{ID: base, Speaker: "yesno", Transcript: strings.Join(words, " "),
			SampleRate: a.SampleRate, Samples: a.Channel(0)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(utts) < 2 {
		return nil, fmt.Errorf("speech: %s: %d recordings", YesNoArchive, len(utts))
	}
	sort.Slice(utts, func(i, j int) bool { return utts[i].ID < utts[j].ID })
	half := len(utts) / 2
	return &Corpus{Name: "yesno", Train: utts[:half], Test: utts[half:], Words: YesNoWords, Chars: YesNoChars}, nil
}

// eachWAVMember calls f on every .wav member of a .tar.gz archive, decoded.
func eachWAVMember(archive string, f func(name string, a *Audio) error) error {
	file, err := os.Open(archive)
	if err != nil {
		return fmt.Errorf("speech: %w", err)
	}
	defer file.Close()
	zr, err := gzip.NewReader(file)
	if err != nil {
		return fmt.Errorf("speech: %s: %w", archive, err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	n := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("speech: %s: %w", archive, err)
		}
		if h.Typeflag != tar.TypeReg || !strings.HasSuffix(h.Name, ".wav") {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return fmt.Errorf("speech: %s: %s: %w", archive, h.Name, err)
		}
		a, err := DecodeWAV(archive+":"+h.Name, data)
		if err != nil {
			return err
		}
		if err := f(h.Name, a); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("speech: %s: no .wav member", archive)
	}
	return nil
}

// IsolatedDigits is the common FSDD benchmark: every recording one utterance whose transcript
// is its digit's word. With testSpeaker empty the split is the official one (takes 0..4 are
// test); otherwise it is leave-one-speaker-out, that speaker's recordings being the test set.
func IsolatedDigits(recs []FSDDRecording, testSpeaker string) (*Corpus, error) {
	c := &Corpus{Name: "isolated-digits", Words: DigitWords, Chars: DigitChars}
	if testSpeaker != "" {
		c.Name += "-loso-" + testSpeaker
	}
	for i := range recs {
		r := &recs[i]
		u := Utterance{ID: r.ID(), Speaker: r.Speaker, Transcript: DigitWordList[r.Digit],
			SampleRate: r.Audio.SampleRate, Samples: r.Audio.Channel(0)}
		if isTest(r, testSpeaker) {
			c.Test = append(c.Test, u)
		} else {
			c.Train = append(c.Train, u)
		}
	}
	if err := c.checkSplit(testSpeaker); err != nil {
		return nil, err
	}
	return c, nil
}

func isTest(r *FSDDRecording, testSpeaker string) bool {
	if testSpeaker == "" {
		return r.Take < FSDDTestTakes
	}
	return r.Speaker == testSpeaker
}

func (c *Corpus) checkSplit(testSpeaker string) error {
	if len(c.Train) == 0 || len(c.Test) == 0 {
		if testSpeaker != "" {
			return fmt.Errorf("speech: %s: %d train and %d test recordings (is %q an FSDD speaker?)", c.Name, len(c.Train), len(c.Test), testSpeaker)
		}
		return fmt.Errorf("speech: %s: %d train and %d test recordings", c.Name, len(c.Train), len(c.Test))
	}
	return nil
}

// FSDDSpeakers lists the speakers of the recordings, sorted.
func FSDDSpeakers(recs []FSDDRecording) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range recs {
		if !seen[r.Speaker] {
			seen[r.Speaker] = true
			out = append(out, r.Speaker)
		}
	}
	sort.Strings(out)
	return out
}
