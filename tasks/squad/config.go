package squad

// DevFile and TrainFile are the dataset files in the data directory's squad/ folder.
const (
	DevFile   = "dev-v1.1.json.zip"
	TrainFile = "train-v1.1.reconstructed.json.gz"
)
