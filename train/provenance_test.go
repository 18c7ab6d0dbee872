package train

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDataRecord(t *testing.T) {
	data, run := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(data, "a"), 0o755)
	os.WriteFile(filepath.Join(data, "a", "x.txt"), []byte("one\n"), 0o644)
	os.WriteFile(filepath.Join(data, "y.txt"), []byte("two\n"), 0o644)
	rec, err := HashDataFiles(data, "d", "registry", []string{"a/x.txt", "y.txt", "absent.txt"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Files) != 2 || rec.Files["y.txt"] != "27dd8ed44a83ff94d557f9fd0412ed5a8cbca69ea04922d88c01184a07300a5a" {
		t.Fatalf("files %v", rec.Files)
	}
	if err := WriteDataRecord(run, rec); err != nil {
		t.Fatal(err)
	}
	back, err := ReadDataRecord(run)
	if err != nil || len(back.Changes(rec)) != 0 {
		t.Fatalf("read back: %v, changes %v", err, back.Changes(rec))
	}
	os.WriteFile(filepath.Join(data, "y.txt"), []byte("three\n"), 0o644)
	os.Remove(filepath.Join(data, "a", "x.txt"))
	now, _ := HashDataFiles(data, "d", "registry", []string{"a/x.txt", "y.txt"})
	got := strings.Join(back.Changes(now), "; ")
	if got != "a/x.txt: gone; y.txt: sha256 was 27dd8ed44a83…, now f69369121844…" {
		t.Fatalf("changes: %s", got)
	}
	if none, err := ReadDataRecord(t.TempDir()); none != nil || err != nil {
		t.Fatalf("no data.json: %v, %v", none, err)
	}
}
