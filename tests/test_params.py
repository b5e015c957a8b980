import pytest

from musiccluster.errors import ParameterError
from musiccluster.params import Params, parse_assignments


def test_defaults_are_the_papers():
    p = Params()
    assert (p.n_segments, p.n_mfcc, p.latent_dim, p.hidden_dim) == (10, 13, 4, 64)
    assert (p.epochs, p.lr, p.k, p.beta) == (20, 1e-3, 5, 1.0)


@pytest.mark.parametrize("name,value", [
    ("k", 1), ("k", 0), ("latent_dim", 0), ("latent_dim", -3), ("epochs", 0), ("lr", -0.1),
    ("lr", 0.0), ("n_segments", 0), ("batch_size", 0), ("n_mfcc", 200), ("beta", -1.0),
    ("seed", -1), ("loss_reduction", "median"), ("k", 2.5), ("lr", float("nan")),
    ("data_dir", "/definitely/not/here"), ("exclude", "/definitely/not/a/list.txt"), ("exclude", 3),
    ("k", 61),  # the default corpus at corpus_clips_per_style=2, n_segments=3 makes 60 segments
])
def test_invalid_values_name_the_parameter(name, value):
    with pytest.raises(ParameterError) as info:
        Params(**{"corpus_clips_per_style": 2, "n_segments": 3, name: value})
    assert f"'{name}'" in str(info.value)
    assert info.value.name == name


def test_unknown_names_are_rejected():
    with pytest.raises(ParameterError, match="'epoch'"):
        Params.from_dict({"epoch": 3})
    with pytest.raises(ParameterError, match="'latent'"):
        parse_assignments(["latent=3"])


def test_strings_are_coerced_like_command_line_values():
    p = Params.from_dict(parse_assignments("epochs=50 lr=0.01 data_dir=None k=7"))
    assert p.epochs == 50 and p.lr == 0.01 and p.data_dir is None and p.k == 7
    with pytest.raises(ParameterError, match="'epochs'"):
        Params.from_dict({"epochs": "many"})


def test_replace_validates():
    assert Params().replace(k=8).k == 8
    with pytest.raises(ParameterError, match="'k'"):
        Params().replace(k=1)


def test_k_up_to_the_default_corpus_size_is_allowed():
    assert Params(k=60, corpus_clips_per_style=2, n_segments=3).k == 60


def test_a_chapter_rejects_a_name_papermill_injected_by_mistake():
    """papermill only logs an unknown -p name; the chapter must fail naming it."""
    from musiccluster.book.params import chapter_params, injected_names

    history = ["", "# Parameters (the paper's protocol)\nepochs = 20\n", "# Parameters\nepochz = 3\nk = 4\n"]
    assert injected_names({"In": history}) == ["epochz", "k"]
    with pytest.raises(ParameterError, match="'epochz'"):
        chapter_params({"In": history, "epochs": 20, "epochz": 3, "k": 4})
    assert chapter_params({"In": history, "k": 4}, extra=("epochz",)).k == 4  # a chapter's own setting
    assert chapter_params({"In": ["# Parameters\nk = 6\n"], "k": 6}).k == 6
    assert injected_names({}) == [] and injected_names({"In": "not a list"}) == []
