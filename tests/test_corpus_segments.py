import numpy as np
import pytest
import soundfile as sf

from musiccluster.data.corpus import find_clips
from musiccluster.features.segments import SkipClip, load_audio, segment_bounds, split_segments
from conftest import tone


def test_gtzan_layout_gives_genre_labels(audio_dir):
    clips = find_clips(audio_dir.parent)  # search from above the genres/ folder
    assert len(clips) == 6
    assert {c.label for c in clips} == {"blues", "metal"}
    assert clips[0].clip_id == "genres/blues/blues.00000"
    assert clips[0].path.suffix == ".au"


def test_kaggle_layout_and_unlabelled_files(tmp_path):
    (tmp_path / "Data" / "genres_original" / "jazz").mkdir(parents=True)
    sf.write(tmp_path / "Data" / "genres_original" / "jazz" / "jazz.00001.wav", tone(2, 200), 22050)
    sf.write(tmp_path / "loose.flac", tone(2, 300), 22050)  # directly in the folder: no label
    (tmp_path / "Data" / "notes.txt").write_text("not audio")
    clips = {c.path.name: c for c in find_clips(tmp_path)}
    assert set(clips) == {"jazz.00001.wav", "loose.flac"}
    assert clips["jazz.00001.wav"].label == "jazz"
    assert clips["loose.flac"].label is None


def test_first_level_subfolders_are_labels(tmp_path):
    for group in ("calm", "loud"):
        (tmp_path / group).mkdir()
        sf.write(tmp_path / group / "a.wav", tone(2, 200), 22050)
    assert {c.label for c in find_clips(tmp_path)} == {"calm", "loud"}


def test_segment_bounds_equal_non_overlapping():
    sr = 22050
    bounds = segment_bounds(30 * sr + 7, 10, sr, 1.0)
    assert len(bounds) == 10
    lengths = {b - a for a, b in bounds}
    assert lengths == {3 * sr}
    assert all(bounds[i][1] == bounds[i + 1][0] for i in range(9))
    assert bounds[0][0] == 0 and bounds[-1][1] <= 30 * sr + 7


def test_too_short_clip_is_refused_with_reason():
    with pytest.raises(SkipClip, match="too short"):
        segment_bounds(int(0.5 * 22050), 10, 22050, 1.0)
    assert len(split_segments(np.zeros(22050 * 5), 5, 22050, 1.0)) == 5


def test_load_audio_downmixes_and_resamples(tmp_path):
    y = tone(2.0, 440.0, sr=44100)
    stereo = np.stack([y, y], axis=1)
    sf.write(tmp_path / "s.wav", stereo, 44100)
    out = load_audio(tmp_path / "s.wav")
    assert out.ndim == 1 and out.dtype == np.float32
    assert abs(len(out) - 2 * 22050) <= 1


def test_load_audio_reasons(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "text.wav").write_text("this is not audio at all " * 20)
    with pytest.raises(SkipClip, match="empty"):
        load_audio(tmp_path / "empty.wav")
    with pytest.raises(SkipClip, match="unreadable"):
        load_audio(tmp_path / "text.wav")
