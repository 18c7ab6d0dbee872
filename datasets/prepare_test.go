package datasets

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyStaged copies registered files from the staged data into a fresh data directory.
func copyStaged(t *testing.T, staged string, rels ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, rel := range rels {
		data, err := os.ReadFile(filepath.Join(staged, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestPrepareFromStaged runs every recipe that needs only official files present in the staged
// data, in a fresh directory, and checks that what it makes verifies against the registry (the
// SST phrase files by content, the indexes byte for byte).
func TestPrepareFromStaged(t *testing.T) {
	staged := stagedDir(t)
	for _, c := range []struct {
		recipe string
		inputs []string
	}{
		{"sst-phrases", []string{sstTrees}},
		{"fsdd", []string{fsddTarball}},
		{"yesno", []string{yesnoTarball}},
	} {
		t.Run(c.recipe, func(t *testing.T) {
			dir := copyStaged(t, staged, c.inputs...)
			var log strings.Builder
			if err := Default.Prepare(context.Background(), dir, c.recipe, PrepareOptions{Log: &log}); err != nil {
				t.Fatal(err)
			}
			t.Log(log.String())
			for _, rc := range Recipes() {
				if rc.Name != c.recipe {
					continue
				}
				for _, rel := range rc.Makes {
					if c.recipe == "fsdd" && rel != fsddIndex {
						continue // made only from the repository's archive
					}
					if c.recipe == "yesno" && rel != yesnoIndex {
						continue
					}
					f, _ := (&preparation{reg: Default}).file(rel)
					if ck := checkFile(filepath.Join(dir, filepath.FromSlash(rel)), f); ck.Status != StatusOK {
						t.Errorf("%s: %v %s", rel, ck.Status, ck.Detail)
					}
				}
			}
			noPartFiles(t, dir)
		})
	}
}

// A recipe whose input is missing or corrupt says which file and how to fetch it, and writes
// nothing; a derived file that does not match the registry is refused.
func TestPrepareFailures(t *testing.T) {
	dir := t.TempDir()
	err := Default.Prepare(context.Background(), dir, "sst-phrases", PrepareOptions{})
	if err == nil || !strings.Contains(err.Error(), "trainDevTestTrees_PTB.zip is missing") ||
		!strings.Contains(err.Error(), "sru data download --data-dir "+dir+" sst-trees") {
		t.Errorf("missing trees: %v", err)
	}
	p := filepath.Join(dir, filepath.FromSlash(sstTrees))
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte("not a zip"), 0o644)
	if err := Default.Prepare(context.Background(), dir, "sst-phrases", PrepareOptions{}); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("corrupt trees: %v", err)
	}
	if err := Default.Prepare(context.Background(), dir, "nope", PrepareOptions{}); err == nil || !strings.Contains(err.Error(), `unknown recipe "nope"`) {
		t.Errorf("unknown recipe: %v", err)
	}
	pr := &preparation{reg: Default, dir: dir, name: "test"}
	if err := pr.put(fsddIndex, []byte("file\n")); err == nil || !strings.Contains(err.Error(), "does not match the registry") {
		t.Errorf("mismatch: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(fsddIndex))); err == nil {
		t.Error("a mismatching file was put in place")
	}
	noPartFiles(t, dir)
	// From a local archive that is not the repository's.
	bad := filepath.Join(dir, "bad.tar.gz")
	tgz, _ := writeTarGz([]member{{"x/y.txt", []byte("y")}})
	os.WriteFile(bad, tgz, 0o644)
	if err := Default.Prepare(context.Background(), dir, "fsdd", PrepareOptions{From: bad}); err == nil || !strings.Contains(err.Error(), "not the FSDD repository's archive") {
		t.Errorf("wrong archive: %v", err)
	}
}

func TestSSTPhrases(t *testing.T) {
	fine, binary, err := SSTPhrases([]byte("(3 (2 It) (4 (4 (2 's) (4 Great)) (2 8 1\\/2)))\n(1 (2 it) (0 bad))\n"))
	if err != nil {
		t.Fatal(err)
	}
	wantFine := "2 it\n2 's\n4 great\n4 's great\n2 8 1\\/2\n4 's great 8 1\\/2\n3 it 's great 8 1\\/2\n0 bad\n1 it bad\n"
	if string(fine) != wantFine {
		t.Errorf("fine:\n%s\nwant:\n%s", fine, wantFine)
	}
	wantBinary := "1 great\n1 's great\n1 's great 8 1\\/2\n1 it 's great 8 1\\/2\n0 bad\n0 it bad\n"
	if string(binary) != wantBinary {
		t.Errorf("binary:\n%s\nwant:\n%s", binary, wantBinary)
	}
	for _, bad := range []string{"", "(5 x)", "(2 (2 a)", "(2 a) extra", "2 a", "(x a)"} {
		if _, _, err := SSTPhrases([]byte("(2 ok)\n" + bad + "\n")); err == nil || !strings.HasPrefix(err.Error(), "2: ") {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}

func TestFSDDSpeakers(t *testing.T) {
	got, err := fsddSpeakersOf([]byte("\"\"\"doc\"\"\"\n\nmetadata = {\n    'jackson': {\n        'gender': 'male',\n\t'accent': 'USA/neutral',\n        'language': 'english'\n    },\n    'theo': {\n    \t'gender': 'male',\n    \t'accent': 'USA/neutral',\n    \t'language': 'english'\n    }\n}\n"))
	want := "speaker\tgender\taccent\tlanguage\njackson\tmale\tUSA/neutral\tenglish\ntheo\tmale\tUSA/neutral\tenglish\n"
	if err != nil || string(got) != want {
		t.Errorf("got %q, %v", got, err)
	}
}

// Every file a recipe makes is registered without a URL, and its Derive note names the recipe.
func TestRecipesRegistered(t *testing.T) {
	for _, rc := range Recipes() {
		for _, rel := range rc.Makes {
			f, err := (&preparation{reg: Default, name: rc.Name}).file(rel)
			if err != nil {
				t.Fatal(err)
			}
			if f.URL != "" || !strings.Contains(f.Derive, "sru data prepare "+rc.Name) {
				t.Errorf("%s: URL %q, Derive %q", rel, f.URL, f.Derive)
			}
		}
	}
}

// An archive without the recordings is refused before anything is written.
func TestPrepareWrongArchive(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other.tar.gz")
	tgz, _ := writeTarGz([]member{{"top/metadata.py", []byte("metadata = {}\n")}, {"top/README", []byte("x")}})
	os.WriteFile(other, tgz, 0o644)
	for recipe, want := range map[string]string{"yesno": "no waves_yesno/*.wav", "fsdd": "no top/recordings/*.wav"} {
		err := Default.Prepare(context.Background(), dir, recipe, PrepareOptions{From: other})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", recipe, err)
		}
	}
	noPartFiles(t, dir)
}
