"""notebooks/quickstart.ipynb runs top to bottom (code cells executed in order in one namespace)."""

import json
import os
from pathlib import Path

NB = Path(__file__).resolve().parents[1] / "notebooks" / "quickstart.ipynb"


def test_notebook_is_valid_and_walks_the_whole_api():
    nb = json.loads(NB.read_text())
    assert nb["nbformat"] == 4
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    for verb in (
        "studio.analyze",
        "studio.attributes_for",
        "studio.compose",
        "studio.paint",
        "studio.create",
        "studio.judge",
    ):
        assert verb + "(" in code
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")  # committed clean


def test_notebook_executes_top_to_bottom(tmp_path, monkeypatch):
    from studio.api import configure_threads

    configure_threads(1)
    nb = json.loads(NB.read_text())
    monkeypatch.chdir(tmp_path)
    ns: dict = {"__name__": "__notebook__"}
    for i, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
        src = "".join(cell["source"])
        try:
            exec(compile(src, f"quickstart.ipynb[code cell {i}]", "exec"), ns)
        except Exception as e:
            raise AssertionError(f"code cell {i} failed: {type(e).__name__}: {e}\n---\n{src}") from e
    assert (tmp_path / "outputs" / "quickstart" / "calm-pair" / "create.json").is_file()
    assert os.listdir(tmp_path / "outputs" / "quickstart" / "tender-painting")
