"""book.downloads and the book's footer: what a reader takes away, and the provenance on every page."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from musiccluster.book import downloads
from musiccluster.book.sphinx import footer_html, git_commit


class _Result:
    def __init__(self):
        self.data = SimpleNamespace(X=np.arange(6.0).reshape(3, 2), source="tiny corpus: 1 clip, 3 segments")

    def to_json(self):
        return json.dumps({"silhouette": 0.5})

    def segments_frame(self):
        return pd.DataFrame({"clip_id": ["a", "a", "a"], "vae_1": [0.1, 0.2, 0.3], "cluster_vae": [0, 1, 0]})


def test_nothing_is_written_outside_a_book_build(monkeypatch, tmp_path):
    monkeypatch.delenv(downloads.DOWNLOADS_ENV, raising=False)
    assert downloads.downloads_folder() is None
    assert downloads.publish_experiment("results", _Result()) == []
    assert list(tmp_path.iterdir()) == []


def test_publish_experiment_writes_json_csv_and_the_corpus(monkeypatch, tmp_path):
    monkeypatch.setenv(downloads.DOWNLOADS_ENV, str(tmp_path))
    written = downloads.publish_experiment("results", _Result())
    assert sorted(p.name for p in written) == ["result.json", "segments.csv"]
    assert json.loads((tmp_path / "results" / "result.json").read_text()) == {"silhouette": 0.5}
    csv = pd.read_csv(tmp_path / "results" / "segments.csv")
    assert csv["cluster_vae"].tolist() == [0, 1, 0] and len(csv) == 3
    corpus = json.loads((tmp_path / downloads.CORPUS_FILE).read_text())
    assert corpus["source"].startswith("tiny corpus") and len(corpus["features_sha256"]) == 16
    assert corpus == downloads.corpus_identity(_Result().data)  # the same data, the same identity
    other = SimpleNamespace(X=np.arange(6.0).reshape(3, 2) + 1, source="tiny corpus: 1 clip, 3 segments")
    assert downloads.corpus_identity(other)["features_sha256"] != corpus["features_sha256"]
    with pytest.raises(ValueError):
        downloads.publish("results", {"../x.json": "{}"}, tmp_path)


def test_footer_names_provenance_and_links_the_page_downloads(tmp_path):
    out = tmp_path / "html"
    folder = out / "_static" / "downloads"
    downloads.publish_experiment("results", _Result(), folder)
    app = SimpleNamespace(outdir=str(out), env=None,
                          musiccluster_provenance={"commit": "abc123", "built": "2026-12-01 23:00 UTC",
                                                   "versions": "python 3.11, torch 2.x"})
    html = footer_html(app, "results")
    for text in ("abc123", "2026-12-01 23:00 UTC", "tiny corpus", "torch 2.x",
                 'href="_static/downloads/results/result.json"', 'href="_static/downloads/results/segments.csv"'):
        assert text in html, text
    assert "segments.csv" not in footer_html(app, "intro")  # another page: only its own downloads
    assert "tiny corpus" in footer_html(app, "intro")  # the corpus is named on every page


def test_git_commit_of_a_folder_outside_git_is_unknown(tmp_path):
    assert git_commit(tmp_path) == "unknown"


def test_slim_static_drops_source_maps_catalogues_and_ttf_fonts(tmp_path):
    from musiccluster.book.theme_weight import slim_static

    static = tmp_path / "_static"
    (static / "scripts").mkdir(parents=True)
    (static / "scripts" / "app.js").write_text("var a=1;\n//# sourceMappingURL=app.js.map\n")
    (static / "scripts" / "app.js.map").write_text("x" * 100)
    (static / "locales" / "de" / "LC_MESSAGES").mkdir(parents=True)
    (static / "locales" / "de" / "LC_MESSAGES" / "booktheme.mo").write_bytes(b"y" * 50)
    fonts = static / "vendor" / "fontawesome" / "webfonts"
    fonts.mkdir(parents=True)
    (fonts / "fa-solid-900.ttf").write_bytes(b"t" * 30)
    (fonts / "fa-solid-900.woff2").write_bytes(b"w" * 10)
    (fonts / "only.ttf").write_bytes(b"o" * 7)  # no WOFF2 beside it: kept
    assert slim_static(static) == 100 + 50 + 30
    assert (static / "scripts" / "app.js").read_text() == "var a=1;\n"
    assert not (static / "locales").exists() and (fonts / "fa-solid-900.woff2").is_file()
    assert (fonts / "only.ttf").is_file() and not (fonts / "fa-solid-900.ttf").exists()


def test_unique_scripts_keeps_the_first_of_identical_entries():
    from sphinx.builders.html._assets import _JavaScript

    from musiccluster.book.sphinx import unique_scripts

    thebe = "const THEBE_JS_URL = 'x'"
    ctx = {"script_files": [_JavaScript("a.js"), _JavaScript("", body=thebe), _JavaScript("b.js"),
                            _JavaScript("", body=thebe), _JavaScript("a.js"), _JavaScript("", body="other")]}
    unique_scripts(None, "intro", "page.html", ctx, None)
    assert [(str(j.filename), j.attributes.get("body")) for j in ctx["script_files"]] == [
        ("a.js", None), ("", thebe), ("b.js", None), ("", "other")]


def test_unique_scripts_treats_no_filename_as_one_case():
    """The build's two copies of sphinx-thebe's inline script: one registered with filename None, the
    other with "" (found in a real build; the copy of 31f988a threw THEBE_JS_URL's redeclaration)."""
    from sphinx.builders.html._assets import _JavaScript

    from musiccluster.book.sphinx import unique_scripts

    thebe = "const THEBE_JS_URL = 'x'"
    ctx = {"script_files": [_JavaScript(None, body=thebe), _JavaScript("a.js"), _JavaScript("", body=thebe)]}
    unique_scripts(None, "intro", "page.html", ctx, None)
    assert [j.attributes.get("body") for j in ctx["script_files"]] == [thebe, None]


def test_theme_macros_lose_only_the_icon_script_and_only_where_the_css_draws_icons():
    from musiccluster.book.theme_weight import macros_without_icon_script, theme_files

    macros = ('{% macro head_js_preload() %}\n  <!-- So that users can add custom icons -->\n'
              '  <script defer src="{{ pathto(\'_static/scripts/fontawesome.js\', 1) }}?digest=ab"></script>\n'
              '  <link rel="preload" as="script" href="{{ pathto(\'_static/scripts/bootstrap.js\', 1) }}" />\n'
              '{% endmacro %}\n')
    css = '@font-face{font-family:Font Awesome\\ 6 Free}.fa-solid,.fas{font-weight:900}.fa-bars:before{content:"x"}'
    kept = macros_without_icon_script(macros, css)
    assert kept is not None and "fontawesome.js" not in kept and "bootstrap.js" in kept
    assert kept.count("\n") == macros.count("\n") - 1
    assert macros_without_icon_script(macros, ".other{}") is None  # no web-font rules: keep the script
    assert macros_without_icon_script(kept, css) is None  # no such line: leave the template alone
    found = theme_files()  # the installed theme: its template and stylesheet qualify
    assert found is not None
    assert macros_without_icon_script(found[0].read_text(), found[1].read_text()) is not None


def test_icons_from_css_puts_the_rewritten_template_first(tmp_path):
    from types import SimpleNamespace

    from musiccluster.book.theme_weight import icons_from_css

    app = SimpleNamespace(doctreedir=str(tmp_path / "_build" / ".doctrees"))
    config = SimpleNamespace(templates_path=["_templates"])
    icons_from_css(app, config)
    folder = tmp_path / "_build" / "theme-templates"
    assert config.templates_path == [str(folder), "_templates"]
    text = (folder / "static" / "webpack-macros.html").read_text()
    assert "fontawesome.js" not in text and "bootstrap.js" in text and "pydata-sphinx-theme.js" in text
    icons_from_css(app, config)  # a second build: same folder, once
    assert config.templates_path == [str(folder), "_templates"]


def test_slim_static_drops_the_icon_script_only_when_no_page_names_it(tmp_path):
    from musiccluster.book.theme_weight import slim_static

    static = tmp_path / "_static"
    (static / "scripts").mkdir(parents=True)
    script = static / "scripts" / "fontawesome.js"
    script.write_bytes(b"f" * 40)
    (tmp_path / "page.html").write_text('<script defer src="_static/scripts/fontawesome.js?digest=1"></script>')
    assert slim_static(static) == 0 and script.is_file()  # a page loads it: kept
    (tmp_path / "page.html").write_text('<i class="fa-solid fa-bars"></i>')
    (static / "scripts" / "fontawesome.js.LICENSE.txt").write_bytes(b"l" * 2)
    (static / "webpack-macros.html").write_text('<script src="_static/scripts/fontawesome.js"></script>')  # not a page
    assert slim_static(static) == 42 + 54 and not script.exists() and not (static / "webpack-macros.html").exists()
