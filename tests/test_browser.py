"""A real browser (Debian chromium driven by playwright) uses the studio like a person would."""

import json
import os
import shutil
import socket
import time

import pytest

pytestmark = pytest.mark.browser
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _music_available() -> bool:
    try:
        import studio.loop  # noqa: F401
        import studio.music.pipeline  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def server():
    pytest.importorskip("gradio", reason="gradio not installed (the ui extra)")
    import app
    from studio.api import configure_threads

    configure_threads(1)  # as `studio ui` does: small models run far faster on one thread here
    demo = app.build_demo()
    port = _free_port()
    demo.launch(
        server_name="127.0.0.1",
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
        allowed_paths=[str(app.OUT_ROOT)],
    )
    yield f"http://127.0.0.1:{port}"
    demo.close()


def test_generate_in_a_real_browser(server, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="python playwright not installed")
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip("Debian chromium not installed (/usr/bin/chromium)")
    music = _music_available()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1300})
        page.goto(server, wait_until="domcontentloaded")
        picker = page.locator("#picker img")
        picker.wait_for(timeout=30_000)
        # click the lower-right (pleasant, calm) part of the circle
        box = picker.bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.78, box["y"] + box["height"] * 0.72)
        valence = page.locator("#valence input[type=number]")
        page.wait_for_function(
            "() => parseFloat(document.querySelector('#arousal input[type=number]').value) < -0.2", timeout=20_000
        )
        assert float(valence.input_value()) > 0.3
        assert float(page.locator("#arousal input[type=number]").input_value()) < -0.2
        for field, value in (("bars", "2"), ("candidates", "1"), ("rounds", "1")):  # keep the CPU work small
            page.locator(f"#{field} input[type=number]").fill(value)
            page.locator(f"#{field} input[type=number]").press("Enter")
        page.locator("#size input").click()
        page.get_by_role("option", name="256").click()
        if not music:
            page.locator("#what").get_by_text("art", exact=True).click()
        page.locator("#generate").click()
        page.locator("#painting img").wait_for(timeout=120_000)
        if music:
            page.locator("#audio audio, #audio [data-testid='waveform-controls'], #audio button").first.wait_for(
                timeout=60_000
            )
        readout = page.locator("#readout")
        page.wait_for_function(
            "() => document.querySelector('#readout').innerText.includes('seed used')", timeout=30_000
        )
        text = readout.inner_text()
        assert "critic" in text.lower()
        if music:
            assert "Music critic" in text
        page.locator("#circumplex img").wait_for(timeout=30_000)
        time.sleep(0.5)
        shot = os.environ.get("STUDIO_SCREENSHOT") or str(tmp_path / "studio.png")
        page.screenshot(path=shot, full_page=True)
        assert os.path.getsize(shot) > 10_000
        browser.close()


def test_eight_concurrent_clients_through_the_queue(server):
    """Eight API clients at once through the launched server's queue: good requests all finish with
    their files and seeds, a bad one gets a clear error, and nothing is lost or mixed up."""
    gradio_client = pytest.importorskip("gradio_client")
    import app

    client = gradio_client.Client(server, verbose=False)
    n = len(app.FADERS)
    faders = [lo for _, _, lo, _, _ in app.FADERS]  # values ignored: every override flag is off

    def args(seed, size=256, valence=0.4):
        return [valence, -0.3, 0.0, "art", 2, 1, 1, size, "auto", seed, False, *faders, *([False] * n)]

    jobs = [client.submit(*args(200 + i), api_name="/generate") for i in range(7)]
    jobs.append(client.submit(*args(300, size=100), api_name="/generate"))  # not an offered size
    outputs = [j.result(timeout=180) for j in jobs[:7]]
    for i, out in enumerate(outputs):
        painting, used_seed, sidecar = out[3], out[6], out[7]
        assert used_seed == 200 + i
        assert os.path.isfile(painting) and os.path.getsize(painting) > 1000
        assert json.loads(open(sidecar).read())["seed"] == 200 + i
    with pytest.raises(Exception, match="100"):
        jobs[7].result(timeout=60)
