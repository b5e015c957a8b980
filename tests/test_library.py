"""``musiccluster cluster``: a music folder in, playlists out (issue #5)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from musiccluster.cli import main
from musiccluster.data.corpus import find_clips
from musiccluster.organize.assign import assign_tracks
from musiccluster.organize.features import extract_library_features
from musiccluster.organize.model import LibraryModel
from musiccluster.organize.playlists import read_playlist, resolve_playlist
from musiccluster.organize.run import organize_library
from musiccluster.errors import ParameterError
from musiccluster.params import Params
from conftest import tone

SR = 22050
#: The paper's VAE, made fast (the command's default is the timbre model; these tests are of the segment path).
FAST = ["--method", "vae", "--segments", "4", "--epochs", "5", "--quiet"]


def write_music(root: Path) -> tuple[set[str], dict[str, str], set[str]]:
    """A small library with every awkward case.

    Returns (good files, bad audio files -> expected reason fragment, ignored files),
    all as paths relative to ``root``.
    """
    good: set[str] = set()

    def put(rel: str, y: np.ndarray, sr: int = SR, **kw) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        sf.write(root / rel, y, sr, **kw)
        good.add(rel)

    for i in range(4):
        put(f"Guitar/riff {i}.wav", tone(4, 110 * (1 + 0.08 * i), seed=i, noise=0.2))
        put(f"Piano/ballad {i}.flac", tone(4, 660 * (1 + 0.05 * i), seed=10 + i, noise=0.01))
    put("Künstler – Ünïcødé/déjà vu №1.ogg", tone(4, 330, seed=20), format="OGG", subtype="VORBIS")
    put("Künstler – Ünïcødé/mp3 track.mp3", tone(4, 300, seed=21), format="MP3")
    put("a/b/c/deep.au", tone(4, 200, seed=22))
    put("stereo 44k.wav", np.stack([tone(4, 440, 44100), tone(4, 550, 44100, seed=1)], axis=1), 44100)

    bad: dict[str, str] = {}
    (root / "bad").mkdir()
    (root / "bad" / "empty.wav").write_bytes(b"")
    bad["bad/empty.wav"] = "empty"
    (root / "bad" / "text.wav").write_text("this is not audio\n" * 30)
    bad["bad/text.wav"] = "unreadable"
    whole = (root / "Guitar" / "riff 0.wav").read_bytes()
    (root / "bad" / "corrupt.wav").write_bytes(b"RIFX" + whole[4:40] + bytes(range(256)) * 2)
    bad["bad/corrupt.wav"] = "unreadable"
    sf.write(root / "bad" / "half second.wav", tone(0.5, 200), SR)
    bad["bad/half second.wav"] = "too short"
    sf.write(root / "bad" / "silent.wav", np.zeros(4 * SR, dtype=np.float32), SR)
    bad["bad/silent.wav"] = "silent"

    ignored = {"cover.jpg", "Guitar/notes.txt", "bad/.hidden.wav"}
    (root / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (root / "Guitar" / "notes.txt").write_text("liner notes")
    (root / "bad" / ".hidden.wav").write_bytes(b"")
    return good, bad, ignored


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            out[p.relative_to(root).as_posix()] = (st.st_size, st.st_mtime_ns)
    return out


@pytest.fixture
def music(tmp_path, monkeypatch):
    monkeypatch.setenv("MUSICCLUSTER_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "Music"
    root.mkdir()
    good, bad, ignored = write_music(root)
    return root, good, bad, ignored


def rel(path: str, root: Path) -> str:
    return Path(path).relative_to(root.resolve()).as_posix()


# ---------------------------------------------------------------------------
def test_hostile_folder_end_to_end_all_outputs(music, tmp_path, capsys):
    root, good, bad, ignored = music
    before = snapshot(root)
    out = tmp_path / "out"
    assert main(["cluster", str(root), "--k", "3", "--out", str(out), *FAST]) == 0  # local loky workers
    assert snapshot(root) == before  # nothing written inside the music folder
    for name in ("assignments.csv", "skipped.csv", "summary.json", "map.png", "model/config.json",
                 "model/arrays.npz", "model/vae.pt"):
        assert (out / name).is_file(), name
    assert (out / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # every bad audio file is listed with its reason; other files as ignored
    skipped = pd.read_csv(out / "skipped.csv", keep_default_na=False)
    failed = skipped[skipped["kind"] == "failed"]
    reasons = {rel(p, root): r for p, r in zip(failed["path"], failed["reason"])}
    assert set(reasons) == set(bad)
    for name, fragment in bad.items():
        assert fragment in reasons[name], (name, reasons[name])
    assert {rel(p, root) for p in skipped.loc[skipped["kind"] == "ignored", "path"]} == ignored

    # every usable track exactly once, with a cluster and a confidence
    tracks = pd.read_csv(out / "assignments.csv", keep_default_na=False)
    assert sorted(rel(p, root) for p in tracks["path"]) == sorted(good)
    assert set(tracks["cluster"]) <= {1, 2, 3}
    assert tracks["confidence"].between(0.5, 1.0).all()  # 4 segments, 3 clusters: the winner has >= 2
    assert (tracks["duration_s"] == 4.0).all()
    assert set(tracks.loc[tracks["path"].str.contains("/Guitar/"), "label"]) == {"Guitar"}

    # playlists: extended M3U, relative entries that resolve, most typical first, all tracks once
    playlists = sorted((out / "playlists").glob("cluster-*.m3u8"))
    assert playlists and all(p.name[len("cluster-"):-len(".m3u8")].isdigit() for p in playlists)
    listed = []
    for pl in playlists:
        text = pl.read_text(encoding="utf-8")
        assert text.startswith("#EXTM3U\n") and "#EXTINF:4," in text
        entries = read_playlist(pl)
        assert all(not os.path.isabs(e) and "\\" not in e for e in entries)
        resolved = resolve_playlist(pl)
        assert all(p.is_file() for p in resolved), [p for p in resolved if not p.is_file()]
        c = int(pl.stem.split("-")[1])
        expected = tracks[tracks["cluster"] == c].sort_values("rank")
        assert [str(p.resolve()) for p in resolved] == list(expected["path"])
        assert expected["distance"].is_monotonic_increasing
        listed += [str(p.resolve()) for p in resolved]
    assert sorted(listed) == sorted(tracks["path"])

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["counts"]["tracks_used"] == len(good)
    assert summary["counts"]["audio_files_skipped"] == len(bad)
    assert summary["counts"]["other_items_ignored"] == len(ignored)
    assert summary["k"]["chosen"] == 3 and summary["assignment_rule"]
    sizes = [c["tracks"] for c in summary["clusters"]]
    assert sum(sizes) == len(good) and sizes == sorted(sizes, reverse=True)  # 1 = largest
    assert {"features", "embedding", "clustering", "total"} <= set(summary["timings_s"])
    printed = capsys.readouterr().out
    assert f"{len(good)} track(s) organised into" in printed and "skipped.csv" in printed


def test_k_is_chosen_when_not_given(music, tmp_path):
    root, good, _, _ = music
    out = tmp_path / "out"
    assert main(["cluster", str(root), "--out", str(out), "--method", "pca", "--k-range", "2:4",
                 "--jobs", "1", *FAST]) == 0
    summary = json.loads((out / "summary.json").read_text())
    curve = summary["k"]["curve"]
    assert [row["k"] for row in curve] == [2, 3, 4]
    assert summary["k"]["chosen"] in (2, 3, 4) and summary["k"]["criterion"].startswith("for each k")
    best = [r for r in curve if r["admissible"]] or curve
    assert summary["k"]["chosen"] == max(best, key=lambda r: (r["silhouette"], -r["k"]))["k"]
    assert (out / "k-selection.png").is_file()
    assert summary["counts"]["clusters"] == summary["k"]["chosen"]


def test_assign_round_trip_and_new_tracks(music, tmp_path):
    root, good, _, _ = music
    out = tmp_path / "out"
    assert main(["cluster", str(root), "--k", "3", "--out", str(out), "--jobs", "1", *FAST]) == 0
    trained = pd.read_csv(out / "assignments.csv").set_index("path")

    # the form: --assign NEW_DIR --model OUT_DIR/model
    again = tmp_path / "again"
    assert main(["cluster", "--assign", str(root), "--model", str(out / "model"), "--out", str(again),
                 "--jobs", "1", "--quiet"]) == 0
    same = pd.read_csv(again / "assignments.csv").set_index("path").loc[trained.index]
    assert (same["cluster"] == trained["cluster"]).all()
    assert (same["rank"] == trained["rank"]).all()
    np.testing.assert_allclose(same["confidence"], trained["confidence"])
    assert not (again / "model").exists()

    # new files (copies of two tracks, elsewhere) land where their originals are; positional form
    new = tmp_path / "new music"
    new.mkdir()
    picks = ["Guitar/riff 1.wav", "Piano/ballad 2.flac"]
    for p in picks:
        shutil.copy(root / p, new / Path(p).name)
    out2 = tmp_path / "out2"
    assert main(["cluster", str(new), "--assign", "--model", str(out / "model"), "--out", str(out2),
                 "--jobs", "1", "--quiet"]) == 0
    got = pd.read_csv(out2 / "assignments.csv").set_index("path")
    for p in picks:
        assert got.loc[str((new / Path(p).name).resolve()), "cluster"] == \
            trained.loc[str((root / p).resolve()), "cluster"]
    for pl in (out2 / "playlists").glob("*.m3u8"):
        assert all(p.is_file() for p in resolve_playlist(pl))

    # training options are fixed by the model
    assert main(["cluster", "--assign", str(new), "--model", str(out / "model"), "--out", str(out2),
                 "--k", "4"]) == 2


def test_refuses_output_inside_the_music_folder(music, tmp_path, capsys, monkeypatch):
    root, _, _, _ = music
    before = snapshot(root)
    for out in (root, root / "playlists", root / "Guitar" / "deeper" / "out"):
        assert main(["cluster", str(root), "--out", str(out), *FAST]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "inside the music folder" in err
    # through a symbolic link to a folder inside the music folder
    link = tmp_path / "link"
    link.symlink_to(root / "Guitar", target_is_directory=True)
    assert main(["cluster", str(root), "--out", str(link / "out"), *FAST]) == 2
    # nor may the feature cache be inside it
    assert main(["cluster", str(root), "--out", str(tmp_path / "o"), "--cache-dir", str(root / ".cache"),
                 *FAST]) == 2
    monkeypatch.setenv("MUSICCLUSTER_CACHE", str(root / "cache"))
    assert main(["cluster", str(root), "--out", str(tmp_path / "o"), *FAST]) == 2
    assert "inside the music folder" in capsys.readouterr().err
    assert snapshot(root) == before


def test_no_usable_file_exits_2_with_one_line_and_lists_them(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MUSICCLUSTER_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "junk"
    root.mkdir()
    (root / "a.wav").write_bytes(b"")
    (root / "b.flac").write_text("nope")
    sf.write(root / "c.wav", tone(0.3, 200), SR)
    out = tmp_path / "out"
    assert main(["cluster", str(root), "--out", str(out), "--jobs", "1", *FAST]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no usable track" in err
    skipped = pd.read_csv(out / "skipped.csv")
    assert sorted(Path(p).name for p in skipped["path"]) == ["a.wav", "b.flac", "c.wav"]
    assert skipped["reason"].str.len().min() > 5
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["cluster", str(empty), "--out", str(tmp_path / "o2"), *FAST]) == 2
    assert "no audio files" in capsys.readouterr().err


def test_rerun_after_an_interruption_recomputes_only_unfinished_tracks(music, tmp_path, monkeypatch, capsys):
    root, good, bad, _ = music
    import musiccluster.features.extract as F

    real = F.clip_features
    calls: list[str] = []

    def interrupting(path, *a, **k):
        if len(calls) == 5:
            raise KeyboardInterrupt
        calls.append(str(path))
        return real(path, *a, **k)

    monkeypatch.setattr(F, "clip_features", interrupting)
    out = tmp_path / "out"
    args = ["cluster", str(root), "--k", "2", "--out", str(out), "--jobs", "1", *FAST]
    assert main(args) == 130  # Ctrl-C: the CLI says finished work is cached
    assert "interrupted" in capsys.readouterr().err
    done = {p for p in calls if rel(p, root) in good}

    second: list[str] = []

    def counting(path, *a, **k):
        second.append(str(path))
        return real(path, *a, **k)

    monkeypatch.setattr(F, "clip_features", counting)
    assert main(args) == 0
    recomputed = {rel(p, root) for p in second}
    # finished tracks come from the cache; bad files are retried (they are never cached)
    assert recomputed == (good - {rel(p, root) for p in done}) | set(bad)
    assert done and len(recomputed & good) == len(good) - len(done)

    # a third run reads every usable track from the cache, and gives the same clusters
    first = pd.read_csv(out / "assignments.csv")
    second.clear()
    assert main(args) == 0
    assert {rel(p, root) for p in second} == set(bad)
    pd.testing.assert_frame_equal(first, pd.read_csv(out / "assignments.csv"))


def test_dask_local_cluster_gives_the_same_features(music, tmp_path):
    distributed = pytest.importorskip("distributed")
    import re

    root, good, bad, _ = music
    clips = find_clips(root)
    params = Params(n_segments=4)
    local = extract_library_features(clips, params, cache=False, n_jobs=1, progress=False)

    def clip_calls(stream) -> int:
        """Clips the scheduler ran: joblib names each batch 'batch_of_<function>_<n>_calls-<uuid>'."""
        keys = [str(t["key"]) for t in stream.data]
        assert keys, "no task reached the Dask scheduler: the features were computed elsewhere"
        calls = [re.search(r"batch_of__cached_clip_features_(\d+)_calls", k) for k in keys]
        assert all(calls), f"unexpected tasks on the scheduler: {keys[:5]}"
        assert {t["worker"] for t in stream.data} <= set(workers), "tasks ran outside the cluster's workers"
        return sum(int(m.group(1)) for m in calls)

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster, set_as_default=False) as observer:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        workers = list(observer.scheduler_info()["workers"])
        assert len(workers) == 2 and all(w.startswith("tcp://127.0.0.1:") for w in workers)
        with distributed.get_task_stream(client=observer) as stream:
            remote = extract_library_features(clips, params, cache=True, cache_dir=tmp_path / "dcache",
                                              scheduler=address, progress=False)
        assert clip_calls(stream) == len(clips)  # every clip (fresh cache) was a task on the cluster
        # and the whole command on the cluster
        out = tmp_path / "out"
        with distributed.get_task_stream(client=observer) as stream:
            assert main(["cluster", str(root), "--k", "2", "--out", str(out), "--scheduler", address,
                         "--cache-dir", str(tmp_path / "dcache2"), *FAST]) == 0
        assert clip_calls(stream) >= len(good)
    np.testing.assert_array_equal(local.X, remote.X)
    pd.testing.assert_frame_equal(local.meta, remote.meta)
    assert sorted(local.skipped["path"]) == sorted(remote.skipped["path"])
    assert len(list((tmp_path / "dcache" / "features").rglob("*.npz"))) == len(good)  # workers filled the cache
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scheduler"] == address and summary["counts"]["tracks_used"] == len(good)


def test_unreachable_scheduler_is_a_one_line_error(music, tmp_path, capsys, monkeypatch):
    root, _, _, _ = music
    import socket

    import musiccluster.organize.features as L

    monkeypatch.setattr(L, "SCHEDULER_TIMEOUT_S", 2.0)

    with socket.socket() as s:  # a free port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["cluster", str(root), "--out", str(tmp_path / "o"), "--no-cache",
                 "--scheduler", f"tcp://127.0.0.1:{port}", *FAST]) == 2
    assert "scheduler" in capsys.readouterr().err


def test_extraction_reports_skips_as_data_and_contacts_a_scheduler_only_for_work(music, tmp_path, monkeypatch,
                                                                                  recwarn):
    """One cache lookup (the extractor's), skips as data (also when every file fails), and a Dask
    scheduler contacted only when some track is not in the cache."""
    import socket
    import warnings

    import musiccluster.organize.features as OF
    from musiccluster.features.extract import NoUsableClips

    root, good, bad, _ = music
    clips = find_clips(root)
    params = Params(n_segments=4)
    warnings.simplefilter("always")
    fs = extract_library_features(clips, params, cache_dir=tmp_path / "c", n_jobs=1, progress=False)
    assert {rel(p, root) for p in fs.skipped["path"]} == set(bad)
    assert not [w for w in recwarn if str(w.message).startswith("skipped ")]  # reported, not warned
    with pytest.raises(NoUsableClips, match="no usable track among 5 audio file") as caught:
        extract_library_features([c for c in clips if rel(str(c.path), root) in bad], params,
                                 cache_dir=tmp_path / "c", n_jobs=1, progress=False)
    assert {rel(p, root) for p in caught.value.skipped["path"]} == set(bad)

    monkeypatch.setattr(OF, "SCHEDULER_TIMEOUT_S", 2.0)
    with socket.socket() as s:  # a free port nobody listens on
        s.bind(("127.0.0.1", 0))
        nobody = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    cached = [c for c in clips if rel(str(c.path), root) in good]
    again = extract_library_features(cached, params, cache_dir=tmp_path / "c", scheduler=nobody,
                                     progress=False)
    np.testing.assert_array_equal(again.X, fs.X)  # every track from the cache: no connection needed
    with pytest.raises(ParameterError, match="scheduler"):  # a track to compute: the scheduler is needed
        extract_library_features(clips, params, cache_dir=tmp_path / "c", scheduler=nobody, progress=False)


def test_majority_vote_tie_breaks_by_mean_distance():
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    Z = np.array([
        [0.1, 0.0], [0.2, 0.0], [9.0, 0.0], [9.9, 0.0],   # track 0: 2 votes for cluster 0, 2 for 1
        [1.0, 0.0], [0.0, 1.0], [0.0, 9.5],               # track 1: 2 votes for cluster 0, 1 for cluster 2
        [4.0, 0.0], [6.0, 0.0],                           # track 2: one vote each; cluster 1 is nearer on average
    ])
    codes = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2])
    a = assign_tracks(Z, codes, 3, centers)
    # track 0: tie 2-2; mean distances 4.8 (cluster 0) vs 5.2 (cluster 1) -> cluster 0
    # track 2: tie 1-1; mean distances (4 + 6)/2 = 5 for both -> then the lower index, 0
    assert list(a.labels) == [0, 0, 0]
    np.testing.assert_allclose(a.confidence, [0.5, 2 / 3, 0.5])
    b = assign_tracks(np.array([[4.0, 0.0], [7.0, 0.0]]), np.array([0, 0]), 1, centers)
    assert b.labels[0] == 1 and b.confidence[0] == 0.5  # tie 1-1, cluster 1 nearer on average (4.5 vs 5.5)
    np.testing.assert_allclose(a.position[2], [5.0, 0.0])


def test_saved_model_is_not_pickled_and_is_checked(music, tmp_path):
    root, _, _, _ = music
    res = organize_library(root, tmp_path / "out", k=2, params=Params(n_segments=4, epochs=3),
                           n_jobs=1, progress=False)
    folder = tmp_path / "out" / "model"
    cfg = json.loads((folder / "config.json").read_text())
    assert cfg["method"] == "vae" and cfg["k"] == 2 and cfg["feature_params"]["n_segments"] == 4
    with np.load(folder / "arrays.npz", allow_pickle=False) as npz:
        assert {"scaler_mean", "scaler_scale", "centers", "map_mean", "map_components"} <= set(npz.files)
        assert npz["centers"].shape == (2, 4)
    import torch

    state = torch.load(folder / "vae.pt", weights_only=True)
    assert set(state) >= {"fc_mu.weight", "fc_logvar.weight"}
    loaded = LibraryModel.load(folder)
    X = np.random.default_rng(0).normal(size=(5, 26))
    np.testing.assert_array_equal(loaded.embed(X), res.model.embed(X))
    data = bytearray((folder / "arrays.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / "arrays.npz").write_bytes(bytes(data))
    from musiccluster.errors import DataError

    with pytest.raises(DataError, match="does not match"):
        LibraryModel.load(folder)


def test_cli_help_and_argument_errors(capsys, tmp_path):
    import musiccluster.commands.cluster as C
    import musiccluster.organize.run as L

    assert (C.METHODS, C.DEFAULT_K_RANGE) == (L.METHODS, L.DEFAULT_K_RANGE)  # one definition: organize.options
    with pytest.raises(SystemExit):
        main(["cluster", "--help"])
    text = capsys.readouterr().out
    for word in ("--assign", "--model", "--k", "--method", "--scheduler", "--cache-dir", "skipped.csv",
                 "playlists/cluster-NN.m3u8", "silhouette", "never inside MUSIC_DIR"):
        assert word in text
    assert main(["cluster", "--out", str(tmp_path / "o")]) == 2
    assert main(["cluster", "--assign", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "--model" in capsys.readouterr().err


@pytest.mark.slow
def test_a_few_hundred_tracks_with_bad_files(tmp_path, monkeypatch, capsys):
    """The issue's acceptance case: 300 rendered tracks plus every awkward file, default settings
    but --method vae (VAE, k chosen by the criterion), all outputs, every bad file named, playlists that open."""
    from musiccluster.synth import generate_corpus

    monkeypatch.setenv("MUSICCLUSTER_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "Music"
    root.mkdir()
    good, bad, ignored = write_music(root)
    rendered = generate_corpus(root / "Rendered", n_per_style=30, duration=12.0, progress=False)
    assert len(rendered) == 300
    out = tmp_path / "out"
    before = snapshot(root)
    assert main(["cluster", str(root), "--out", str(out), "--method", "vae", "--segments", "4", "--quiet"]) == 0
    assert snapshot(root) == before

    tracks = pd.read_csv(out / "assignments.csv", keep_default_na=False)
    assert len(tracks) == len(good) + 300
    skipped = pd.read_csv(out / "skipped.csv", keep_default_na=False)
    assert {rel(p, root) for p in skipped.loc[skipped["kind"] == "failed", "path"]} == set(bad)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    k = summary["k"]["chosen"]
    assert 2 <= k <= 12 and len(summary["k"]["curve"]) == 11
    playlists = sorted((out / "playlists").glob("cluster-*.m3u8"))
    assert len(playlists) == k
    assert sum(len(resolve_playlist(p)) for p in playlists) == len(tracks)
    assert all(p.is_file() for pl in playlists for p in resolve_playlist(pl))
    # the styles are audible in the clusters: far above chance (ARI 0) on the rendered tracks' labels
    assert summary["label_agreement"]["nmi"] > 0.1
    for name in ("map.png", "k-selection.png", "model/config.json"):
        assert (out / name).is_file(), name
