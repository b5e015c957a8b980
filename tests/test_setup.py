"""The set-up promises of the README: root-level book config, toc mechanism, console script."""

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_book_toc_is_the_root_toc():
    link = ROOT / "book" / "_toc.yml"
    assert link.is_symlink() and os.readlink(link) == "../_toc.yml"
    assert link.read_text() == (ROOT / "_toc.yml").read_text()


def test_toc_parses_and_build_settings_are_strict():
    from sphinx_external_toc.parsing import parse_toc_yaml

    toc = parse_toc_yaml(str(ROOT / "book" / "_toc.yml"))
    assert toc.root.docname == "intro"
    import yaml

    conf = yaml.safe_load((ROOT / "_config.yml").read_text())
    # "cache", made safe by a fingerprinted cache folder (tests/test_execution_cache.py)
    assert conf["execute"]["execute_notebooks"] == "cache"
    assert not conf["execute"].get("cache"), "a fixed cache folder would bypass the fingerprint"
    assert conf["execute"]["raise_on_error"] is True
    assert conf["execute"]["timeout"] >= 600


def test_console_script_is_installed():
    exe = shutil.which("musiccluster", path=str(Path(os.sys.executable).parent))
    assert exe, "the musiccluster console script is not installed in this environment"
    out = subprocess.run([exe, "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "experiment" in out.stdout and "features" in out.stdout
