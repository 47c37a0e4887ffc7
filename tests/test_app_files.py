"""The UI serves only its own private output folder: the fixed-name symlink trick of issue 13 fails."""

import importlib
import os
import socket
import tempfile
import urllib.error
import urllib.request

import pytest

gr = pytest.importorskip("gradio", reason="gradio not installed (the ui extra)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_a_symlink_planted_at_the_old_fixed_name_is_not_served(tmp_path, monkeypatch):
    shared_tmp = tmp_path / "tmp"  # stands in for the world-writable temp folder
    shared_tmp.mkdir()
    secret_dir = tmp_path / "elsewhere"
    secret_dir.mkdir()
    secret = secret_dir / "secret.txt"
    secret.write_text("not yours")
    (shared_tmp / "studio-ui").symlink_to(secret_dir)  # what any local user could plant beforehand
    (shared_tmp / "gradio").symlink_to(secret_dir)  # ... and at Gradio's default upload cache
    monkeypatch.setenv("TMPDIR", str(shared_tmp))
    monkeypatch.delenv("GRADIO_TEMP_DIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(shared_tmp))
    import app

    app = importlib.reload(app)  # as a fresh `studio ui` process would start
    port = _free_port()
    try:
        app.launch(port=port, prevent_thread_lock=True, quiet=True)
        base = f"http://127.0.0.1:{port}/gradio_api/file="
        for path in (
            secret,
            shared_tmp / "studio-ui" / "secret.txt",
            shared_tmp / "gradio" / "secret.txt",
            "/etc/passwd",
        ):
            assert _get(base + str(path)) in (403, 404), path
        root = app.OUT_ROOT
        mine = root / "mine.txt"
        mine.write_text("served")
        assert _get(base + str(mine)) == 200  # the checks above are not passing for a server that serves nothing
        assert not root.is_symlink() and root.resolve().parent == shared_tmp.resolve()
        assert oct(root.stat().st_mode & 0o777) == "0o700"
    finally:
        gr.close_all()
        monkeypatch.undo()
        importlib.reload(app)
    assert os.path.exists(secret)


def test_user_errors_are_one_line_for_the_user_and_a_traceback_in_the_debug_log(caplog):
    import logging

    import app

    with caplog.at_level(logging.DEBUG, logger="studio.ui"):
        with pytest.raises(gr.Error) as info:
            app.on_text("\x1b[31m0.1,0.2,0.3,0.4\x1b[0m")
    assert "\n" not in info.value.message and "\x1b" not in info.value.message
    assert info.value.print_exception is False  # Gradio does not print it to the server log
    assert any(r.exc_info for r in caplog.records if r.name == "studio.ui")
