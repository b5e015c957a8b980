"""Hostile input, interrupted runs and exact reproducibility (issue: reliability)."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from musiccluster import synth
from musiccluster.params import FeatureParams
from musiccluster.data.corpus import find_clips
from musiccluster.features.extract import clip_features, extract_features
from musiccluster.features.mfcc import mfcc_stats
from musiccluster.features.segments import SkipClip
from conftest import tone

SR = 22050


def write_hostile_corpus(root: Path) -> tuple[set[str], set[str]]:
    """Make every kind of awkward file; return (good names, bad names)."""
    root.mkdir(parents=True, exist_ok=True)
    good, bad = set(), set()
    rng = np.random.default_rng(0)

    def put(name, y, sr=SR, **kw):
        sf.write(root / name, y, sr, **kw)
        good.add(name)

    put("plain tone.wav", tone(4, 220))
    put("déjà vu – ünïcødé.wav", tone(4, 330, seed=1))
    put("stereo44k.wav", np.stack([tone(4, 440, 44100), tone(4, 550, 44100)], axis=1), 44100)
    put("stereo48k.flac", np.stack([tone(4, 440, 48000), tone(4, 660, 48000)], axis=1), 48000)
    put("eight_bit.wav", tone(4, 250, seed=2), subtype="PCM_U8")
    put("float.wav", tone(4, 260, seed=3), subtype="FLOAT")
    put("vorbis.ogg", tone(4, 270, seed=4), format="OGG", subtype="VORBIS")
    put("full_scale_noise.wav", np.clip(rng.uniform(-1.5, 1.5, 4 * SR), -1, 1).astype(np.float32))
    put("constant_dc.wav", np.full(4 * SR, 0.5, dtype=np.float32))
    (root / "nested" / "deeper").mkdir(parents=True)
    put("nested/deeper/inner.au", tone(4, 180, seed=5))

    def junk(name, data: bytes):
        (root / name).write_bytes(data)
        bad.add(name)

    junk("empty.wav", b"")
    junk("text.wav", b"just some words, not audio\n" * 40)
    whole = (root / "plain tone.wav").read_bytes()
    junk("corrupt_header.wav", b"RIFX" + whole[4:40] + os.urandom(200))
    junk("truncated_header.wav", whole[:30])
    junk("headerless.au", os.urandom(100_000))  # libsndfile would read it as 12 s of raw mu-law noise
    sf.write(root / "half_second.wav", tone(0.5, 200), SR); bad.add("half_second.wav")
    sf.write(root / "silence.wav", np.zeros(4 * SR, dtype=np.float32), SR); bad.add("silence.wav")
    os.symlink(root / "does-not-exist.wav", root / "dangling.wav"); bad.add("dangling.wav")
    os.symlink(root, root / "nested" / "loop")  # a symlink loop back to the top
    (root / "readme.txt").write_text("ignored: not an audio extension")
    if os.geteuid() != 0:  # root can read anything, so this case only means something for users
        sf.write(root / "locked.wav", tone(4, 200), SR)
        os.chmod(root / "locked.wav", 0)
        bad.add("locked.wav")
    return good, bad


def test_hostile_corpus_good_files_identical_bad_files_reported(tmp_path):
    root = tmp_path / "hostile"
    good, bad = write_hostile_corpus(root)
    clips = find_clips(root)
    names = {c.path.relative_to(root.resolve()).as_posix() for c in clips}
    assert good | bad == names  # symlink loop followed once, .txt ignored
    with pytest.warns(UserWarning):  # with the feature cache on, as users run it
        fs = extract_features(clips, FeatureParams(n_segments=4), n_jobs=2, progress=False, cache_dir=tmp_path / "cache")
    skipped = {Path(p).relative_to(root.resolve()).as_posix() if Path(p).is_absolute() else p: r
               for p, r in zip(fs.skipped["path"], fs.skipped["reason"])}
    assert set(skipped) == bad
    expected = {"empty.wav": "empty", "text.wav": "unreadable", "corrupt_header.wav": "unreadable",
                "truncated_header.wav": "unreadable", "headerless.au": "no valid audio header", "half_second.wav": "too short", "silence.wav": "silent",
                "dangling.wav": "cannot read", "locked.wav": "unreadable"}
    for name, reason in skipped.items():
        assert expected[name] in reason, (name, reason)
    assert np.all(np.isfinite(fs.X))
    used = set(fs.meta["path"].map(lambda p: Path(p).relative_to(root.resolve()).as_posix()))
    assert used == good
    for clip in clips:
        rel = clip.path.relative_to(root.resolve()).as_posix()
        if rel in good:
            alone, _, _ = clip_features(clip.path, FeatureParams(n_segments=4))
            rows = fs.X[fs.meta["path"].to_numpy() == str(clip.path)]
            np.testing.assert_array_equal(rows, alone)  # bit-identical to processing it alone


def test_silence_and_constants_give_finite_features():
    for y in (np.zeros(SR, np.float32), np.full(SR, 0.25, np.float32), np.ones(SR, np.float32)):
        assert np.all(np.isfinite(mfcc_stats(y)))


def test_truncated_body_is_used_or_skipped_never_raised(tmp_path):
    sf.write(tmp_path / "full.wav", tone(6, 200), SR)
    data = (tmp_path / "full.wav").read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[: len(data) // 2])  # header promises 6 s, 3 s present
    try:
        X, duration, _ = clip_features(tmp_path / "cut.wav", FeatureParams(n_segments=2))
        assert 2.5 < duration < 3.5 and np.all(np.isfinite(X))
    except SkipClip as exc:
        assert str(exc)


CHILD = textwrap.dedent("""
    import signal, sys
    # Ctrl-C raises KeyboardInterrupt, as in a terminal, even where the test runner was started in the
    # background (a non-interactive shell starts background jobs with SIGINT ignored, and children inherit it)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from musiccluster.data.corpus import find_clips
    from musiccluster.features import extract_features
    from musiccluster.params import FeatureParams
    extract_features(find_clips(sys.argv[1]), FeatureParams(n_segments=10), n_jobs=1, progress=False,
                     cache_dir=sys.argv[2])
""")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_interrupted_extraction_leaves_only_whole_entries_and_resumes(tmp_path, sig, monkeypatch):
    music, cache = tmp_path / "music", tmp_path / "cache"
    music.mkdir()
    n = 80
    for i in range(n):
        sf.write(music / f"clip{i:02d}.wav", tone(15, 100 + 7 * i, seed=i), SR)
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(music), str(cache)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    entries = []
    while time.time() < deadline and proc.poll() is None:
        entries = list((cache / "features").rglob("*.npz"))
        if len(entries) >= 3:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "extraction finished before it could be interrupted"
    # Ctrl-C, pressed again if needed: a KeyboardInterrupt that lands inside a destructor is only
    # printed by Python ("Exception ignored in ..."), so one SIGINT may go unanswered.
    for _ in range(50):
        proc.send_signal(sig)
        try:
            proc.wait(timeout=0.2)
            break
        except subprocess.TimeoutExpired:
            continue
    proc.wait(timeout=60)
    err = proc.stderr.read().decode(errors="replace")
    assert proc.returncode != 0, err[-2000:]
    if sig == signal.SIGINT:
        assert "KeyboardInterrupt" in err
    done = list((cache / "features").rglob("*.npz"))
    assert 3 <= len(done) < n
    for entry in done:  # every entry is complete and loadable
        with np.load(entry) as npz:
            assert npz["X"].shape == (10, 26)
    import musiccluster.features.extract as F
    calls = []
    real = F.clip_features
    monkeypatch.setattr(F, "clip_features", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    fs = extract_features(find_clips(music), FeatureParams(n_segments=10), n_jobs=1, progress=False, cache_dir=cache)
    assert fs.n_clips == n
    assert len(calls) == n - len(done)  # finished work was reused, the rest computed


def test_two_processes_write_byte_identical_table1_json(tmp_path):
    from musiccluster.features.kaggle import write_kaggle_csv
    from test_experiment_cli import toy_features

    csv = write_kaggle_csv(toy_features(n_clips=60), tmp_path / "toy.csv")
    outs = []
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        out = tmp_path / f"{name}.json"
        subprocess.run([sys.executable, "-m", "musiccluster", "experiment", "--features", str(csv),
                        "--epochs", "4", "--k", "4", "--seed", str(seed), "--no-cache", "--quiet",
                        "--json", str(out)], check=True, capture_output=True)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert outs[0] != outs[2]
    import json

    a, c = json.loads(outs[0]), json.loads(outs[2])
    for method in ("vae", "pca"):  # equal JSON means equal labels: the JSON holds their digests
        assert len(a[f"labels_sha256_{method}"]) == 16
    assert a["labels_sha256_vae"] != c["labels_sha256_vae"] or a["silhouette_vae"] != c["silhouette_vae"]


@pytest.mark.parametrize("override,name", [({"k": 1}, "k"), ({"latent_dim": 0}, "latent_dim"),
                                           ({"epochs": 0}, "epochs"), ({"lr": -0.001}, "lr")])
def test_papermill_rerun_with_invalid_value_fails_naming_the_parameter(override, name, tmp_path):
    import jupytext
    import papermill

    book = Path(__file__).resolve().parents[1] / "book"
    nb = jupytext.read(book / "intro.md")
    with pytest.raises(papermill.PapermillExecutionError) as info:
        papermill.execute_notebook(nb, str(tmp_path / "out.ipynb"), parameters=override, kernel_name="python3",
                                   cwd=str(book), progress_bar=False)
    assert info.value.ename == "ParameterError"
    assert f"parameter '{name}'" in info.value.evalue


# ------------------------------------------------------------------ more hostile cases
def test_an_unreadable_file_is_skipped_with_its_reason(tmp_path, monkeypatch):
    """A file the user may not read (chmod 000; simulated where the tests run as root, who reads
    anything) is reported as unreadable and the rest goes on."""
    import librosa

    from musiccluster.features import segments

    root = tmp_path / "music"
    root.mkdir()
    sf.write(root / "ok.wav", tone(4, 220), SR)
    sf.write(root / "locked.wav", tone(4, 330), SR)
    os.chmod(root / "locked.wav", 0)
    if os.geteuid() == 0:
        def denied(real):
            def call(path, *a, **k):
                if os.fsdecode(path).endswith("locked.wav"):
                    raise PermissionError(13, "Permission denied", str(path))
                return real(path, *a, **k)
            return call
        monkeypatch.setattr(segments.sf, "SoundFile", denied(segments.sf.SoundFile))
        monkeypatch.setattr(librosa, "load", denied(librosa.load))
    with pytest.warns(UserWarning, match=r"locked\.wav: unreadable"):
        fs = extract_features(find_clips(root), FeatureParams(n_segments=4), n_jobs=1, progress=False, cache=False)
    assert fs.n_clips == 1 and set(fs.meta["path"].map(lambda p: Path(p).name)) == {"ok.wav"}
    (reason,) = fs.skipped.loc[fs.skipped["path"].map(lambda p: Path(p).name) == "locked.wav", "reason"]
    assert "unreadable" in reason and "ermission" in reason


def test_papermill_rerun_with_an_unknown_name_fails_naming_it(tmp_path):
    import jupytext
    import papermill

    book = Path(__file__).resolve().parents[1] / "book"
    with pytest.raises(papermill.PapermillExecutionError) as info:
        papermill.execute_notebook(jupytext.read(book / "intro.md"), str(tmp_path / "out.ipynb"),
                                   parameters={"epochz": 3}, kernel_name="python3", cwd=str(book),
                                   progress_bar=False)
    assert info.value.ename == "ParameterError"
    assert "parameter 'epochz'" in info.value.evalue and "unknown" in info.value.evalue


def test_papermill_rerun_with_k_above_the_corpus_size_fails_before_any_work(tmp_path):
    """k larger than the segments the corpus can make fails at the chapter's first cell."""
    import jupytext
    import papermill

    book = Path(__file__).resolve().parents[1] / "book"
    with pytest.raises(papermill.PapermillExecutionError) as info:
        papermill.execute_notebook(jupytext.read(book / "intro.md"), str(tmp_path / "out.ipynb"),
                                   parameters={"k": 61, "corpus_clips_per_style": 2, "n_segments": 3},
                                   kernel_name="python3", cwd=str(book), progress_bar=False)
    assert info.value.ename == "ParameterError" and "parameter 'k'" in info.value.evalue
    assert not (Path(os.environ["MUSICCLUSTER_CACHE"]) / "corpus" / f"synth-v{synth.GENERATOR_VERSION}-n2-d30-s0").exists()


def test_cli_k_above_the_number_of_rows_fails_naming_k(tmp_path, capsys):
    from musiccluster.cli import main
    from musiccluster.features.kaggle import write_kaggle_csv
    from test_experiment_cli import toy_features

    csv = write_kaggle_csv(toy_features(n_clips=4, n_seg=2), tmp_path / "toy.csv")
    assert main(["experiment", "--features", str(csv), "--k", "9", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "parameter 'k'" in err and "8" in err and "Traceback" not in err
    assert main(["experiment", "--data", str(tmp_path / "nope"), "--quiet"]) == 2
    assert "data_dir" in capsys.readouterr().err


def test_kmeans_runs_on_one_thread_so_its_bits_do_not_depend_on_the_core_count(monkeypatch):
    from threadpoolctl import threadpool_info
    from sklearn.cluster import KMeans

    from musiccluster.clustering import kmeans

    seen = []
    real_fit = KMeans.fit

    def spy(self, *a, **k):
        seen.append({(i["user_api"], i["num_threads"]) for i in threadpool_info()})
        return real_fit(self, *a, **k)

    monkeypatch.setattr(KMeans, "fit", spy)
    Z = np.random.default_rng(0).normal(size=(600, 4))
    km = kmeans(Z, 5, seed=0)
    assert seen and "openmp" in {api for api, _ in seen[0]}, seen
    assert all(n == 1 for _, n in seen[0]), seen
    assert len(np.unique(km.labels_)) == 5


def test_the_one_thread_limit_reaches_libraries_loaded_after_its_first_use():
    """Features first, K-Means later: scikit-learn's OpenMP runtime is loaded after the controller
    was first made (found when this file's tests ran in order), and must still be limited."""
    code = textwrap.dedent("""
        from musiccluster.threads import threadpools
        with threadpools().limit(limits=1):  # as feature extraction does, before sklearn is imported
            pass
        import numpy as np
        from sklearn.cluster import KMeans
        from threadpoolctl import threadpool_info
        from musiccluster.clustering import kmeans
        seen = []
        real_fit = KMeans.fit
        def spy(self, *a, **k):
            seen.extend((i["user_api"], i["num_threads"]) for i in threadpool_info())
            return real_fit(self, *a, **k)
        KMeans.fit = spy
        kmeans(np.random.default_rng(0).normal(size=(300, 4)), 3, seed=0)
        assert ("openmp", 1) in seen and all(n == 1 for _, n in seen), seen
    """)
    env = {**os.environ, "OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_vae_encodes_on_one_torch_thread_and_restores_the_setting(monkeypatch):
    import torch

    from musiccluster.models.vae import VAEEmbedder

    X = np.random.default_rng(0).normal(size=(64, 6)).astype(np.float32)
    vae = VAEEmbedder(latent_dim=2, hidden_dim=8, epochs=1).fit(X)
    torch.set_num_threads(2)
    seen = []
    real = vae.model_.encode
    monkeypatch.setattr(vae.model_, "encode", lambda x: seen.append(torch.get_num_threads()) or real(x))
    vae.transform(X)
    assert seen == [1] and torch.get_num_threads() == 2


# ------------------------------------------------------------------ exclusion lists (fault-filtered runs)
def test_exclude_list_drops_clips_from_a_table_and_reports_them(tmp_path):
    from musiccluster.dataset import load_data
    from musiccluster.features.kaggle import write_kaggle_csv
    from musiccluster.params import Params
    from test_experiment_cli import toy_features

    csv = write_kaggle_csv(toy_features(n_clips=12, n_seg=3), tmp_path / "toy.csv")
    listing = tmp_path / "faults.txt"
    listing.write_text("# known faults\ng1.00001.wav   # a repetition\n\ng2.00002\n")
    full = load_data(Params(data_dir=str(csv)), progress=False)
    cut = load_data(Params(data_dir=str(csv), exclude=str(listing)), progress=False)
    assert (full.n_clips, cut.n_clips, cut.n_samples) == (12, 10, 30)
    assert not {"g1.00001", "g2.00002"} & set(cut.meta["clip_id"])
    assert sorted(cut.skipped["path"]) == ["g1.00001", "g2.00002"]
    assert all("excluded" in r for r in cut.skipped["reason"])
    assert cut.identity() != full.identity()  # so an experiment's cache key changes with the list


def test_exclude_list_drops_audio_clips_before_reading_them(audio_dir, tmp_path, monkeypatch):
    from musiccluster.features import extract as F
    from musiccluster.dataset import load_data
    from musiccluster.params import Params

    listing = tmp_path / "faults.txt"
    listing.write_text("genres/blues/blues.00001.au\nmetal.00002\n")
    read = []
    real = F.clip_features
    monkeypatch.setattr(F, "clip_features", lambda path, *a, **k: read.append(Path(path).name) or real(path, *a, **k))
    fs = load_data(Params(data_dir=str(audio_dir), n_segments=2, exclude=str(listing)), n_jobs=1, progress=False)
    assert fs.n_clips == 4 and "2 excluded" in fs.source
    assert not {"blues.00001.au", "metal.00002.wav"} & set(read)
    assert sorted(Path(p).name for p in fs.skipped["path"]) == ["blues.00001.au", "metal.00002.wav"]


def test_an_empty_exclude_list_is_an_error(tmp_path):
    from musiccluster.errors import DataError
    from musiccluster.data.exclude import read_exclude_list

    (tmp_path / "empty.txt").write_text("# nothing\n\n")
    with pytest.raises(DataError, match="names no clip"):
        read_exclude_list(tmp_path / "empty.txt")


def test_an_edited_corpus_generator_renders_the_corpus_anew(monkeypatch):
    from musiccluster.synth import build

    before = build._manifest(1, 3.0, 0)
    monkeypatch.setattr(build, "source_fingerprint", lambda *names: "edited")
    after = build._manifest(1, 3.0, 0)
    assert before["generator_source"] != after["generator_source"] == "edited"


def test_cli_features_and_experiment_take_an_exclude_list(audio_dir, tmp_path, capsys):
    import pandas as pd

    from musiccluster.cli import main

    listing = tmp_path / "faults.txt"
    listing.write_text("blues.00001\n")
    out = tmp_path / "features.csv"
    assert main(["features", str(audio_dir), "--segments", "2", "--exclude", str(listing), "--out", str(out),
                 "--jobs", "1", "--quiet"]) == 0
    table = pd.read_csv(out)
    assert len(table) == 10 and not table["filename"].str.startswith("blues.00001").any()
    assert "excluded" in capsys.readouterr().out
    assert main(["experiment", "--features", str(out), "--exclude", str(listing), "--k", "2", "--epochs", "1",
                 "--quiet", "--no-cache"]) == 0  # nothing left to exclude in the table: still fine
    assert main(["experiment", "--features", str(out), "--exclude", str(tmp_path / "nope.txt"), "--quiet"]) == 2
    assert "parameter 'exclude'" in capsys.readouterr().err


def test_exclude_entries_match_from_the_end_of_the_path():
    from musiccluster.data.exclude import ExcludeList

    listing = ExcludeList(["jazz.00054", "genres/blues/blues.00001.au", "Album A/01 Song.flac", "C:\\\\x\\\\y.wav"])
    assert "jazz/jazz.00054" in listing and "jazz.00054" in listing  # audio folder and table rows
    assert "blues/blues.00001" in listing and "blues.00001" in listing
    assert "Album A/01 Song" in listing and "Music/Album A/01 Song" in listing
    assert "Album B/01 Song" not in listing and "jazz/jazz.00055" not in listing
    assert "x/y" in listing and "z/y" not in listing
    assert len(listing) == 4
