"""The interactive map (organize.interactive_map) and the book's clip map (book.interactive)."""

from __future__ import annotations

import base64
import json
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("bokeh")

from musiccluster.book.interactive import clip_points, encode_opus, latent_map, with_excerpts  # noqa: E402
from musiccluster.organize.interactive_map import map_body, standalone_html  # noqa: E402


def _fake_result(tmp_path, n_clips=4, per_clip=3):
    import soundfile as sf

    rows, emb, labels = [], [], []
    rng = np.random.default_rng(0)
    for c in range(n_clips):
        path = tmp_path / f"clip{c}.wav"
        sf.write(path, 0.2 * np.sin(np.arange(22050 * 4) * (0.05 + 0.01 * c)).astype(np.float32), 22050)
        for s in range(per_clip):
            rows.append({"clip_id": f"c{c}", "label": "ab"[c % 2], "path": str(path), "start_s": float(s),
                         "segment": s})
            emb.append(rng.normal(size=4) + 3 * c)
            labels.append(c % 2 if s < 2 else 1 - c % 2)  # two of three segments agree
    vae = SimpleNamespace(embedding=np.array(emb), labels=np.array(labels))
    return SimpleNamespace(data=SimpleNamespace(meta=pd.DataFrame(rows)), vae=vae)


def test_clip_points_one_per_clip_with_majority_cluster_and_confidence(tmp_path):
    pts = clip_points(_fake_result(tmp_path))
    assert pts["clip_id"].tolist() == ["c0", "c1", "c2", "c3"]
    assert pts["cluster"].tolist() == [0, 1, 0, 1] and np.allclose(pts["confidence"], 2 / 3, atol=1e-3)
    assert pts["label"].tolist() == ["a", "b", "a", "b"] and pts["start_s"].tolist() == [0.0] * 4


def test_excerpts_are_small_opus_files_or_data_uris(tmp_path):
    y = 0.3 * np.sin(np.arange(22050 * 3) * 0.06)
    data = encode_opus(y, 22050)
    assert data[:4] == b"OggS" and b"OpusHead" in data[:100] and len(data) < 10_000  # ~8 KB for 3 s
    pts = clip_points(_fake_result(tmp_path))
    inline = with_excerpts(pts, seconds=2.0)
    assert all(base64.b64decode(u.split(",", 1)[1])[:4] == b"OggS" for u in inline["audio"])
    files = with_excerpts(pts, seconds=2.0, folder=tmp_path / "ex", url_prefix="_static/x/")
    assert files["audio"].tolist() == [f"_static/x/clip-{i:05d}.opus.ogg" for i in range(4)]
    assert all((tmp_path / "ex" / u.rsplit("/", 1)[1]).stat().st_size > 100 for u in files["audio"])


def test_the_map_is_offline_and_carries_every_point(tmp_path, monkeypatch):
    monkeypatch.delenv("MUSICCLUSTER_BOOK_DOWNLOADS", raising=False)
    page = latent_map(_fake_result(tmp_path), "results", seconds=1.0)
    assert not re.search(r"<script[^>]+src=", page), "a script is fetched instead of inlined"
    assert "cdn.bokeh.org" not in page and "Bokeh" in page
    assert 'id="mc-map-results-audio"' in page and "colour by label" in page
    assert page.count("data:audio/ogg;base64,") == 4
    assert len(page) < 3_000_000


def test_map_body_rejects_missing_columns_and_escapes_ids():
    pts = pd.DataFrame({"x": [0.0], "y": [1.0], "audio": [""], "cluster": [1]})
    with pytest.raises(ValueError, match="title"):
        map_body(pts, colour_by=["cluster"], hover=[("title", "title")])
    body = map_body(pts.assign(title="<b>x</b>"), colour_by=["cluster"], hover=[("title", "title")],
                    element_id='a"b')
    assert 'id="a-b-audio"' in body and "colour by" not in body  # one colouring: no toggle
    doc = standalone_html(pts.assign(title="t"), "tracks & clusters", colour_by=["cluster"],
                          hover=[("title", "title")])
    assert doc.startswith("<!DOCTYPE html>") and "<title>tracks &amp; clusters</title>" in doc


def test_a_feature_table_gets_a_silent_map(tmp_path, monkeypatch):
    monkeypatch.delenv("MUSICCLUSTER_BOOK_DOWNLOADS", raising=False)
    res = _fake_result(tmp_path)
    res.data.meta = res.data.meta.drop(columns=["path", "start_s"])
    pts = with_excerpts(clip_points(res))
    assert pts["audio"].tolist() == [""] * 4
    assert "data:audio" not in latent_map(res, "results")


def test_cluster_writes_a_map_html_with_tags_and_relative_links(tmp_path):
    import os
    from urllib.parse import unquote

    import soundfile as sf
    from mutagen.flac import FLAC

    from conftest import tone
    from musiccluster.organize.outdir import MANIFEST
    from musiccluster.organize.run import organize_library

    root = tmp_path / "My Music"
    for i in range(6):
        folder = root / ("A" if i % 2 else "B")
        folder.mkdir(parents=True, exist_ok=True)
        sf.write(folder / f"t {i}.flac", tone(3, 110 * (1 + 0.3 * i), seed=i), 22050)
    tagged = FLAC(root / "B" / "t 0.flac")
    tagged["artist"], tagged["title"] = "Ada Artist", "Tune <Zero>"
    tagged.save()
    res = organize_library(root, tmp_path / "out", cache=False, k=2, method="raw", params={"n_segments": 2},
                           progress=False)
    out = res.out_dir
    page = (out / "map.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and not re.search(r"<script[^>]+src=", page)
    assert "Ada Artist" in page and "Tune <Zero>" not in page.split("<script")[0]  # tags, escaped in markup
    assert "t 1.flac" in page  # untagged: the file name stands in
    links = sorted(set(re.findall(r'"(\.\./My%20Music/[^"]+\.flac)"', page)))
    assert len(links) == 6
    for link in links:
        assert (out / unquote(link)).resolve().is_file(), link  # relative from OUT to the user's own file
    assert "map.html" in json.loads((out / MANIFEST).read_text())["files"]
    assert os.path.getsize(out / "map.html") < 3_000_000


def test_relative_links_of_names_that_are_not_utf8(tmp_path):
    import os

    from musiccluster.organize.interactive_map import relative_link, track_points

    name = os.fsdecode(b"caf\xe9 \xff.wav")  # Latin-1 bytes: not UTF-8
    music = tmp_path / "m"
    music.mkdir()
    (music / name).write_bytes(b"")
    assert relative_link(str(music / name), tmp_path / "out") == "../m/caf%E9%20%FF.wav"
    pts = track_points(pd.DataFrame({"path": [str(music / name)], "cluster": [1], "confidence": [1.0],
                                     "x": [0.0], "y": [0.0], "label": [""]}), tmp_path / "out")
    assert pts["title"].tolist() == ["caf\\xe9 \\xff.wav"] and pts["audio"].tolist() == ["../m/caf%E9%20%FF.wav"]
    body = map_body(pts, colour_by=["cluster"], hover=[("title", "title")])
    assert body.encode("utf-8")  # no lone surrogate reaches the page


def test_the_same_map_gives_the_same_bytes_in_another_process():
    """Bokeh's random UUIDs and a set's hash order made map.html differ on every run."""
    import subprocess
    import sys

    code = ("import pandas as pd\n"
            "from musiccluster.organize.interactive_map import map_body\n"
            "pts = pd.DataFrame({'x': [0.0, 1.0, 2.0], 'y': [1.0, 0.0, 2.0], 'audio': ['a.ogg', '', 'c.ogg'],\n"
            "                    'cluster': ['0', '1', '1'], 'title': ['a', 'b', 'c'], 'artist': ['p', 'q', 'r']})\n"
            "print(map_body(pts, colour_by=['cluster'], hover=[('title', 'title'), ('artist', 'artist')]))\n")
    outs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                           env={**__import__("os").environ, "PYTHONHASHSEED": seed}) for seed in ("1", "2")]
    assert all(o.returncode == 0 for o in outs), outs[0].stderr[-2000:]
    assert outs[0].stdout == outs[1].stdout and "b08ba8c7" not in outs[0].stdout


def test_stable_ids_are_consistent_within_a_text_and_differ_between_texts():
    from musiccluster.organize.interactive_map import stable_ids

    a, b = "0f8fad5b-d9cb-469f-a165-70867728950e", "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    text = f'<div id="{a}"></div><script>{{"{b}": {{"root": "{a}"}}}}</script>'
    out = stable_ids(text, "mc-map")
    assert a not in out and b not in out and out == stable_ids(text, "mc-map")
    ids = re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", out)
    assert len(ids) == 3 and ids[0] == ids[2] != ids[1]  # the same UUID maps to the same new one
    assert stable_ids(text, "other") != out and stable_ids(text.replace("root", "roots"), "mc-map") != out
    assert stable_ids("no ids here") == "no ids here"
