"""The shipped fault-filtered split (Kereliuk, Sturm & Larsen 2015) and the named exclude list."""

from __future__ import annotations

import re

import pytest

from musiccluster.data.exclude import gtzan_clip_names, kereliuk_split, named_exclude_list, read_exclude_list
from musiccluster.errors import DataError, ParameterError
from musiccluster.params import NAMED_EXCLUDE_LISTS, Params


def test_kereliuk_split_has_the_papers_counts():
    split = kereliuk_split()
    assert {k: len(v) for k, v in split.items()} == {"train": 443, "valid": 197, "test": 290}
    every = [c for part in split.values() for c in part]
    assert len(set(every)) == 930 == len(every)              # no clip in two parts
    assert set(every) <= set(gtzan_clip_names())
    assert all(re.fullmatch(r"[a-z]+\.\d{5}", c) for c in every)


def test_gtzan_names():
    names = gtzan_clip_names()
    assert len(names) == len(set(names)) == 1000 and names[0] == "blues.00000" and names[-1] == "rock.00099"


def test_kereliuk_excluded_is_the_other_70_clips():
    ex = read_exclude_list("kereliuk-excluded")
    assert len(ex) == 70 and ex.source == "kereliuk-excluded"
    kept = [c for c in gtzan_clip_names() if c not in ex]
    assert len(kept) == 930
    assert set(kept) == {c for part in kereliuk_split().values() for c in part}
    assert "genres/jazz/jazz.00054.wav" not in ex and "blues.00012" not in ex    # both in the split


def test_unknown_name_and_params():
    with pytest.raises(DataError):
        named_exclude_list("sturm2013")
    assert "kereliuk-excluded" in NAMED_EXCLUDE_LISTS
    assert Params(exclude="kereliuk-excluded").exclude == "kereliuk-excluded"
    with pytest.raises(ParameterError):
        Params(exclude="no-such-list-or-file")


def test_the_split_file_ships_as_package_data():
    from importlib.resources import files
    assert files("musiccluster.data").joinpath("faults/kereliuk2015.txt").is_file()


@pytest.mark.slow
def test_kereliuk_excluded_on_the_real_gtzan_table_keeps_930_clips(kaggle_30s):
    from musiccluster.dataset import load_data
    fs = load_data(Params(data_dir=str(kaggle_30s), exclude="kereliuk-excluded"), progress=False)
    assert fs.n_clips == 930
    assert set(fs.meta["clip_id"].astype(str)) == {c for part in kereliuk_split().values() for c in part}
