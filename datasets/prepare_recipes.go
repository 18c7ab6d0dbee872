package datasets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// prepareSSTPhrases derives both phrase files from the official train trees: every subtree of
// every tree, in post-order, as "<label> <lower-cased leaves joined by one space>", de-duplicated
// on the phrase keeping the first label; the binary file drops label 2 and maps 0-1 to 0, 3-4
// to 1 (the mapping that turns the official trees into harvardnlp's stsa.* sentence files).
func prepareSSTPhrases(_ context.Context, p *preparation) error {
	zipped, err := p.input(sstTrees, "sst-trees")
	if err != nil {
		return err
	}
	trees, err := readZipMember(zipped, "trees/train.txt")
	if err != nil {
		return p.errorf("%s: %w", sstTrees, err)
	}
	fine, binary, err := SSTPhrases(trees)
	if err != nil {
		return p.errorf("%s: trees/train.txt:%w", sstTrees, err)
	}
	if err := p.put(sstPhrasesFine, gzipBytes(fine)); err != nil {
		return err
	}
	return p.put(sstPhrasesBinary, gzipBytes(binary))
}

// SSTPhrases returns the fine (five-class) and binary phrase files of SST trees in PTB format,
// one tree a line. An error names the line ("N: message").
func SSTPhrases(trees []byte) (fine, binary []byte, err error) {
	text := string(trees)
	if strings.ContainsRune(text, '\r') { // read as text files are: \r\n and \r end lines too
		text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	}
	lines := strings.Split(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	label := map[string]int{}
	var order []string
	for i, line := range lines {
		nodes, err := sstSubtrees(line)
		if err != nil {
			return nil, nil, fmt.Errorf("%d: %w", i+1, err)
		}
		for _, n := range nodes {
			k := strings.ToLower(n.phrase)
			if _, seen := label[k]; !seen {
				label[k] = n.label
				order = append(order, k)
			}
		}
	}
	var f, b bytes.Buffer
	for _, k := range order {
		l := label[k]
		fmt.Fprintf(&f, "%d %s\n", l, k)
		if l != 2 {
			fmt.Fprintf(&b, "%d %s\n", min(l/3, 1), k)
		}
	}
	return f.Bytes(), b.Bytes(), nil
}

type sstNode struct {
	label  int
	phrase string
}

// sstSubtrees parses one tree "(label (label word) ...)" and returns its subtrees in
// post-order. A leaf is everything between "(<label> " and ")", spaces included.
func sstSubtrees(s string) ([]sstNode, error) {
	var out []sstNode
	pos := 0
	var node func(depth int) ([]string, error)
	node = func(depth int) ([]string, error) {
		if depth > 10000 {
			return nil, fmt.Errorf("trees nested deeper than 10000")
		}
		if pos >= len(s) || s[pos] != '(' {
			return nil, fmt.Errorf("byte %d: want '('", pos+1)
		}
		pos++
		sp := strings.IndexByte(s[pos:], ' ')
		if sp < 0 {
			return nil, fmt.Errorf("byte %d: a label without a space after it", pos+1)
		}
		l, err := strconv.Atoi(s[pos : pos+sp])
		if err != nil || l < 0 || l > 4 {
			return nil, fmt.Errorf("byte %d: label %q is not 0 to 4", pos+1, s[pos:pos+sp])
		}
		pos += sp + 1
		var words []string
		if pos < len(s) && s[pos] != '(' {
			end := strings.IndexByte(s[pos:], ')')
			if end < 0 {
				return nil, fmt.Errorf("byte %d: a leaf without ')'", pos+1)
			}
			words = append(words, s[pos:pos+end])
			pos += end
		} else {
			for pos < len(s) && s[pos] == '(' {
				w, err := node(depth + 1)
				if err != nil {
					return nil, err
				}
				words = append(words, w...)
				if pos < len(s) && s[pos] == ' ' {
					pos++
				}
			}
		}
		if pos >= len(s) || s[pos] != ')' {
			return nil, fmt.Errorf("byte %d: want ')'", pos+1)
		}
		pos++
		out = append(out, sstNode{l, strings.Join(words, " ")})
		return words, nil
	}
	if _, err := node(0); err != nil {
		return nil, err
	}
	if pos != len(s) {
		return nil, fmt.Errorf("byte %d: text after the tree", pos+1)
	}
	return out, nil
}

// wavInfo is what an index row says of a 16-bit PCM wav.
type wavInfo struct {
	rate, channels, bits, frames int
}

// readWAVInfo reads the fmt and data chunks of a RIFF/WAVE file.
func readWAVInfo(b []byte) (wavInfo, error) {
	var w wavInfo
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return w, fmt.Errorf("not a RIFF/WAVE file")
	}
	dataBytes := -1
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:p+8]))
		body := b[p+8:]
		switch id {
		case "fmt ":
			if size < 16 || len(body) < 16 {
				return w, fmt.Errorf("short fmt chunk")
			}
			if binary.LittleEndian.Uint16(body[0:2]) != 1 {
				return w, fmt.Errorf("not PCM")
			}
			w.channels = int(binary.LittleEndian.Uint16(body[2:4]))
			w.rate = int(binary.LittleEndian.Uint32(body[4:8]))
			w.bits = int(binary.LittleEndian.Uint16(body[14:16]))
		case "data":
			dataBytes = min(size, len(body))
		}
		p += 8 + size + size%2
	}
	if w.channels == 0 || w.bits != 16 || dataBytes < 0 {
		return w, fmt.Errorf("not 16-bit PCM with a data chunk")
	}
	w.frames = dataBytes / (2 * w.channels)
	return w, nil
}

// wavColumns are the index columns every speech index shares.
func wavColumns(m member) (string, error) {
	w, err := readWAVInfo(m.data)
	if err != nil {
		return "", fmt.Errorf("%s: %w", m.name, err)
	}
	sum := sha256.Sum256(m.data)
	return fmt.Sprintf("%d\t%d\t%d\t%.4f\t%d\t%s", w.rate, w.channels, w.bits,
		float64(w.frames)/float64(w.rate), len(m.data), hex.EncodeToString(sum[:])), nil
}

// wavsUnder returns the members dir/*.wav of an archive's members, by base name.
func wavsUnder(members []member, dir string) []member {
	var out []member
	for _, m := range members {
		if path.Dir(m.name) == dir && strings.HasSuffix(m.name, ".wav") {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b member) int { return strings.Compare(path.Base(a.name), path.Base(b.name)) })
	return out
}

var fsddName = regexp.MustCompile(`^([0-9])_([a-z]+)_([0-9]+)\.wav$`)

// fsddIndexOf is the FSDD index: one row per wav, takes 0-4 test, the others train.
func fsddIndexOf(wavs []member) ([]byte, error) {
	var b strings.Builder
	b.WriteString("file\tdigit\tspeaker\ttake\tsplit\tsample_rate\tchannels\tbits\tduration_s\tbytes\tsha256\n")
	for _, m := range wavs {
		base := path.Base(m.name)
		f := fsddName.FindStringSubmatch(base)
		if f == nil {
			return nil, fmt.Errorf("%s: not <digit>_<speaker>_<take>.wav", m.name)
		}
		take, _ := strconv.Atoi(f[3])
		split := "train"
		if take < 5 {
			split = "test"
		}
		cols, err := wavColumns(m)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\n", base, f[1], f[2], f[3], split, cols)
	}
	return []byte(b.String()), nil
}

var (
	speakerOpen = regexp.MustCompile(`^\s*'([^']+)'\s*:\s*\{\s*$`)
	speakerKey  = regexp.MustCompile(`^\s*'(gender|accent|language)'\s*:\s*'([^']*)'\s*,?\s*$`)
)

// fsddSpeakersOf converts the speaker dictionary of the repository's metadata.py to TSV, in
// the dictionary's order.
func fsddSpeakersOf(metadata []byte) ([]byte, error) {
	var b strings.Builder
	b.WriteString("speaker\tgender\taccent\tlanguage\n")
	var name string
	var fields map[string]string
	n := 0
	for i, line := range strings.Split(string(metadata), "\n") {
		if m := speakerOpen.FindStringSubmatch(line); m != nil {
			name, fields = m[1], map[string]string{}
			continue
		}
		if m := speakerKey.FindStringSubmatch(line); m != nil && fields != nil {
			fields[m[1]] = m[2]
			if len(fields) == 3 {
				fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", name, fields["gender"], fields["accent"], fields["language"])
				fields = nil
				n++
			}
			continue
		}
		if fields != nil && strings.TrimSpace(line) != "" && !strings.HasPrefix(strings.TrimSpace(line), "}") {
			return nil, fmt.Errorf("metadata.py:%d: unexpected %q", i+1, line)
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("metadata.py: no speaker")
	}
	return []byte(b.String()), nil
}

// prepareFSDD repacks recordings/*.wav and converts metadata.py from the repository's archive
// at the pinned commit (-from, else the official URL), then indexes the tarball. With no -from
// and the tarball already in the data directory, only the index is made from it.
func prepareFSDD(ctx context.Context, p *preparation) error {
	var wavs []member
	if have, _ := p.input(fsddTarball, "fsdd"); have != nil && p.opt.From == "" {
		members, err := readTarGz(have)
		if err != nil {
			return p.errorf("%s: %w", fsddTarball, err)
		}
		wavs = wavsUnder(members, "recordings")
	} else {
		archive, from, err := p.source(ctx, fsddArchiveURL)
		if err != nil {
			return err
		}
		members, err := readTarGz(archive)
		if err != nil {
			return p.errorf("%s: %w", from, err)
		}
		top := ""
		var metadata []byte
		for _, m := range members {
			if d, rest, ok := strings.Cut(m.name, "/"); ok && rest == "metadata.py" {
				top, metadata = d, m.data
			}
		}
		if metadata == nil {
			return p.errorf("%s: no <top>/metadata.py: not the FSDD repository's archive", from)
		}
		for _, m := range wavsUnder(members, top+"/recordings") {
			wavs = append(wavs, member{"recordings/" + path.Base(m.name), m.data})
		}
		if len(wavs) == 0 {
			return p.errorf("%s: no %s/recordings/*.wav: not the FSDD repository's archive", from, top)
		}
		tarball, err := writeTarGz(slices.Clone(wavs))
		if err != nil {
			return p.errorf("%w", err)
		}
		if err := p.put(fsddTarball, tarball); err != nil {
			return err
		}
		speakers, err := fsddSpeakersOf(metadata)
		if err != nil {
			return p.errorf("%s: %w", from, err)
		}
		if err := p.put(fsddSpeakers, speakers); err != nil {
			return err
		}
	}
	index, err := fsddIndexOf(wavs)
	if err != nil {
		return p.errorf("%w", err)
	}
	return p.put(fsddIndex, index)
}

var yesnoName = regexp.MustCompile(`^[01](_[01]){7}\.wav$`)

// yesnoIndexOf is the yesno index: the transcript is in the name (1 YES, 0 NO).
func yesnoIndexOf(wavs []member) ([]byte, error) {
	var b strings.Builder
	b.WriteString("file\ttranscript\tsample_rate\tchannels\tbits\tduration_s\tbytes\tsha256\n")
	for _, m := range wavs {
		base := path.Base(m.name)
		if !yesnoName.MatchString(base) {
			return nil, fmt.Errorf("%s: not eight 0/1 words", m.name)
		}
		var words []string
		for _, w := range strings.Split(strings.TrimSuffix(base, ".wav"), "_") {
			words = append(words, map[string]string{"0": "NO", "1": "YES"}[w])
		}
		cols, err := wavColumns(m)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\n", base, strings.Join(words, " "), cols)
	}
	return []byte(b.String()), nil
}

// prepareYesno repacks waves_yesno/*.wav and waves_yesno/README from OpenSLR's tarball (-from,
// else the official URL) or from an archive of a repository holding that folder, then indexes
// them. With no -from and the tarball already in the data
// directory, only the index is made from it.
func prepareYesno(ctx context.Context, p *preparation) error {
	var members []member
	if have, _ := p.input(yesnoTarball, "yesno"); have != nil && p.opt.From == "" {
		var err error
		if members, err = readTarGz(have); err != nil {
			return p.errorf("%s: %w", yesnoTarball, err)
		}
	} else {
		archive, from, err := p.source(ctx, yesnoOfficialURL)
		if err != nil {
			return err
		}
		all, err := readTarGz(archive)
		if err != nil {
			return p.errorf("%s: %w", from, err)
		}
		// OpenSLR's tarball holds waves_yesno/; a repository archive (such as the pinned
		// commit of the repository the staged copy came from) holds <top>/waves_yesno/.
		for _, m := range all {
			base := path.Base(m.name)
			if path.Base(path.Dir(m.name)) == "waves_yesno" && (strings.HasSuffix(base, ".wav") || base == "README") {
				members = append(members, member{"waves_yesno/" + base, m.data})
			}
		}
		if len(wavsUnder(members, "waves_yesno")) == 0 {
			return p.errorf("%s: no waves_yesno/*.wav: neither OpenSLR's waves_yesno.tar.gz nor a repository archive holding it", from)
		}
		tarball, err := writeTarGz(slices.Clone(members))
		if err != nil {
			return p.errorf("%w", err)
		}
		if err := p.put(yesnoTarball, tarball); err != nil {
			return err
		}
	}
	index, err := yesnoIndexOf(wavsUnder(members, "waves_yesno"))
	if err != nil {
		return p.errorf("%w", err)
	}
	return p.put(yesnoIndex, index)
}
