"""Emotion Studio in the browser: a thin Gradio layer over the public ``studio`` API.

Pick an emotion (click the valence-arousal circle, choose a word, or describe it), look at the
attributes it maps to, override any of them, and generate music + a painting; the critics'
readings are drawn against the target. ``python app.py`` (or ``studio ui``) launches it;
``build_demo()`` returns the Blocks without launching (tests). Handlers are plain functions.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
if not os.environ.get("GRADIO_TEMP_DIR"):  # Gradio's upload cache is served too: private, not $TMPDIR/gradio
    import tempfile as _tempfile

    os.environ["GRADIO_TEMP_DIR"] = _tempfile.mkdtemp(prefix="studio-gradio-")

import logging  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import uuid  # noqa: E402
from functools import lru_cache  # noqa: E402
from pathlib import Path  # noqa: E402

import gradio as gr  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

import studio  # noqa: E402
from studio.emotion import Emotion, named_emotions  # noqa: E402
from studio.errors import one_line  # noqa: E402

PICKER_SIZE, PICKER_RADIUS = 420, 190
STYLES = ["auto", "impressionist", "expressionist", "pointillist", "colourist"]
# (attribute, label, min, max, step): the faders; values come from studio.attributes_for
MUSIC_FADERS = [
    ("tempo", "tempo (BPM)", 40, 200, 1),
    ("mode", "mode (0 minor .. 1 major)", 0, 1, 0.01),
    ("note_density", "note density (notes/beat)", 0.25, 12, 0.05),
    ("pitch_mean", "register (mean MIDI pitch)", 36, 90, 0.5),
    ("velocity_mean", "velocity (loudness)", 20, 120, 1),
]
VISUAL_FADERS = [
    ("brightness", "brightness", 0, 1, 0.01),
    ("saturation", "saturation", 0, 1, 0.01),
    ("warmth", "palette warmth (-1 cool .. 1 warm)", -1, 1, 0.01),
    ("stroke_size", "brush size", 0.005, 0.1, 0.001),
    ("jitter", "brushwork jitter", 0, 1, 0.01),
]
FADERS = MUSIC_FADERS + VISUAL_FADERS
MUSIC_NAMES = {f[0] for f in MUSIC_FADERS}
USER_ERRORS = (ValueError, TypeError, FileNotFoundError)
log = logging.getLogger("studio.ui")  # user errors' tracebacks go here at DEBUG; the user gets one line
_OUT_ROOT: Path | None = None
_OUT_LOCK = threading.Lock()
# studio.render draws with pyplot, whose figure registry is global: requests take turns drawing
_DRAW_LOCK = threading.Lock()


def out_root() -> Path:
    """This process's private output folder, the only one Gradio may serve: made fresh by
    ``tempfile.mkdtemp`` (mode 0700, a new random name; it cannot be a path or symlink another local
    user prepared, unlike a fixed name under the shared temp folder)."""
    global _OUT_ROOT
    with _OUT_LOCK:
        if _OUT_ROOT is None or _OUT_ROOT.is_symlink() or not _OUT_ROOT.is_dir():
            _OUT_ROOT = Path(tempfile.mkdtemp(prefix="studio-ui-"))
    return _OUT_ROOT


def __getattr__(name: str):
    if name == "OUT_ROOT":  # the old constant's name, still read by callers that launch the demo themselves
        return out_root()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _user_error(err: BaseException | str) -> gr.Error:
    """A one-line gr.Error for an ordinary user mistake; its traceback goes to the debug log only."""
    if isinstance(err, BaseException):
        log.debug("user error", exc_info=err)
    return gr.Error(one_line(err), print_exception=False)


# --- the circumplex picker -------------------------------------------------------------------------
def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def _to_px(v: float, a: float) -> tuple[float, float]:
    c = PICKER_SIZE / 2
    return c + v * PICKER_RADIUS, c - a * PICKER_RADIUS


def px_to_va(x: float, y: float) -> tuple[float, float]:
    """Picker pixel -> (valence, arousal), clipped to [-1, 1]."""
    c = PICKER_SIZE / 2
    clip = lambda t: round(max(-1.0, min(1.0, t)), 3)  # noqa: E731
    return clip((x - c) / PICKER_RADIUS), clip((c - y) / PICKER_RADIUS)


@lru_cache(maxsize=1)
def _picker_base() -> Image.Image:
    img = Image.new("RGB", (PICKER_SIZE, PICKER_SIZE), "white")
    d = ImageDraw.Draw(img)
    c, r = PICKER_SIZE / 2, PICKER_RADIUS
    tints = {1: (255, 244, 214), 2: (255, 224, 220), 3: (222, 230, 245), 4: (222, 242, 226)}
    for q, (start, end) in {1: (270, 360), 2: (180, 270), 3: (90, 180), 4: (0, 90)}.items():
        d.pieslice([c - r, c - r, c + r, c + r], start, end, fill=tints[q])
    d.ellipse([c - r, c - r, c + r, c + r], outline=(120, 120, 120), width=2)
    d.line([c - r - 10, c, c + r + 10, c], fill=(160, 160, 160))
    d.line([c, c - r - 10, c, c + r + 10], fill=(160, 160, 160))
    f, fb = _font(11), _font(13)
    d.text((c + r - 40, c + r - 14), "Q4", fill=(90, 90, 90), font=fb)
    d.text((c + r - 40, c - r + 2), "Q1", fill=(90, 90, 90), font=fb)
    d.text((c - r + 20, c - r + 2), "Q2", fill=(90, 90, 90), font=fb)
    d.text((c - r + 20, c + r - 14), "Q3", fill=(90, 90, 90), font=fb)
    d.text((PICKER_SIZE - 58, c + 3), "pleasant", fill=(90, 90, 90), font=fb)
    d.text((2, c + 3), "unpleasant", fill=(90, 90, 90), font=fb)
    d.text((c + 4, c - r - 14), "excited", fill=(90, 90, 90), font=fb)
    d.text((c + 4, c + r + 1), "calm", fill=(90, 90, 90), font=fb)
    placed: list[tuple[float, float, float, float]] = []  # label boxes: skip words that would overlap
    for name, e in sorted(named_emotions().items(), key=lambda kv: -abs(kv[1].valence) - abs(kv[1].arousal)):
        x, y = _to_px(e.valence, e.arousal)
        d.ellipse([x - 2, y - 2, x + 2, y + 2], fill=(110, 110, 110))
        box = d.textbbox((x + 3, y - 6), name, font=f)
        free = all(box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in placed)
        if free and box[2] < PICKER_SIZE - 2:
            d.text((x + 3, y - 6), name, fill=(100, 100, 100), font=f)
            placed.append(box)
    return img


def draw_picker(valence: float, arousal: float) -> Image.Image:
    """The circumplex with a marker at (valence, arousal)."""
    img = _picker_base().copy()
    d = ImageDraw.Draw(img)
    x, y = _to_px(float(valence), float(arousal))
    d.ellipse([x - 9, y - 9, x + 9, y + 9], outline=(192, 40, 40), width=3)
    d.ellipse([x - 3, y - 3, x + 3, y + 3], fill=(192, 40, 40))
    return img


# --- handlers (plain functions; tested directly) ---------------------------------------------------
def _emotion(valence: float, arousal: float, dominance: float, label: str | None = None) -> Emotion:
    try:
        return Emotion(float(valence), float(arousal), float(dominance), label=label or None)
    except USER_ERRORS as e:
        raise _user_error(e) from None


def on_pick(evt: gr.SelectData):
    """Click on the circumplex -> valence, arousal sliders, redrawn picker, cleared label."""
    x, y = evt.index[:2]
    v, a = px_to_va(x, y)
    return v, a, draw_picker(v, a), ""


def on_word(word: str | None):
    """A named emotion -> its VAD (and the label kept for the sidecar)."""
    if not word:
        raise _user_error("choose a word from the list")
    e = named_emotions().get(word)
    if e is None:
        raise _user_error(f"unknown emotion word {word!r}; choose one from the list")
    return e.valence, e.arousal, e.dominance, draw_picker(e.valence, e.arousal), word


def on_text(text: str | None):
    """Free text -> VAD through the text model (``studio.analyze``)."""
    try:
        a = studio.analyze(text or "")
    except USER_ERRORS as err:
        raise _user_error(err) from None
    except ImportError as err:
        raise _user_error(f"free text needs the text model, which is not available: {err}") from None
    e = a.emotion
    return e.valence, e.arousal, e.dominance, draw_picker(e.valence, e.arousal), (text or "").strip()[:200]


def describe(valence: float, arousal: float, dominance: float, label: str | None) -> str:
    """Markdown: the resolved VAD, quadrant, nearest named emotions and how a text label was read."""
    e = _emotion(valence, arousal, dominance, label)
    near = ", ".join(f"**{n}** ({d:.2f})" for n, d in e.nearest(3))
    src = f" from *{label}*" if label else ""
    md = f"**Target**{src}: V {e.valence:+.2f} · A {e.arousal:+.2f} · D {e.dominance:+.2f} (quadrant Q{e.quadrant})  \nnearest: {near}"
    try:
        a = studio.analyze(label if label else e)
        how = (
            f" (read by the {a.method} model, confidence {a.confidence:.2f})"
            if a.method not in ("named", "numeric")
            else ""
        )
        md += f"  \n*{studio.text.describe(e)}*{how}"
    except (ImportError, AttributeError, ValueError, TypeError):
        pass
    return md


def prefill(valence: float, arousal: float, dominance: float, *values_and_flags):
    """Fader values from ``studio.attributes_for``; faders whose override box is ticked keep theirs."""
    n = len(FADERS)
    values, flags = list(values_and_flags[:n]), list(values_and_flags[n:])
    try:
        t = studio.attributes_for(_emotion(valence, arousal, dominance))
    except (ImportError, AttributeError):  # the mapping is not available: leave the faders alone
        return [gr.update() for _ in FADERS]
    out = []
    for (name, _label, lo, hi, _step), val, flag in zip(FADERS, values, flags):
        src = t.music if name in MUSIC_NAMES else t.visual
        mapped = getattr(src, name, None)
        out.append(val if flag or mapped is None else round(max(lo, min(hi, float(mapped))), 3))
    return out


def _overrides(values, flags) -> tuple[dict, dict]:
    music, visual = {}, {}
    for (name, *_), val, flag in zip(FADERS, values, flags):
        if flag and val is not None:
            (music if name in MUSIC_NAMES else visual)[name] = float(val)
    if "tempo" in music:
        music["tempo"] = float(round(music["tempo"]))
    return music, visual


def _readout(target: Emotion, result) -> tuple[str, str]:
    """Markdown of the critics' readings and a circumplex PNG of target vs readings per round."""
    from studio.render import circumplex_png

    lines, per_round, cands = [], [], []
    music, art = result.music, result.art
    if music is not None:
        for rnd in getattr(music, "rounds", None) or []:
            chosen = rnd["candidates"][rnd["chosen"]]
            est = chosen.get("reading") or (
                {"valence": chosen["estimate"][0], "arousal": chosen["estimate"][1]} if chosen.get("estimate") else None
            )
            if est:
                per_round.append(est)
            cands += [c["reading"] for c in rnd["candidates"] if c.get("reading") and c is not chosen]
        r = music.reading
        lines.append(
            f"**Music critic**: V {r.valence:+.2f} · A {r.arousal:+.2f} — distance {r.distance(target):.2f}, "
            f"confidence {r.confidence:.2f}, {len(music.rounds or [])} round(s)"
            if r is not None
            else "**Music critic**: no reading"
        )
        if r is not None and not per_round:
            per_round.append(r)
    if art is not None:
        r = art.reading
        lines.append(
            f"**Image critic**: V {r.valence:+.2f} · A {r.arousal:+.2f} — distance {r.distance(target):.2f}, confidence {r.confidence:.2f}"
            if r is not None
            else "**Image critic**: no reading"
        )
    lines.append(f"seed used: **{result.seed}**")
    path = out_root() / f"circumplex-{uuid.uuid4().hex[:10]}.png"
    readings = per_round + ([art.reading] if art is not None and art.reading is not None and not per_round else [])
    with _DRAW_LOCK:
        circumplex_png(target, readings, path, candidates=cands or None)
    return "  \n".join(lines), str(path)


def generate(
    valence,
    arousal,
    dominance,
    label,
    what,
    bars,
    candidates,
    rounds,
    size,
    style,
    seed,
    randomise,
    *values_and_flags,
    progress=gr.Progress(),
):
    """Generate music and/or a painting; returns audio, MIDI, piano roll, painting, circumplex,
    critic readout, the seed used and the JSON sidecar."""
    target = _emotion(valence, arousal, dominance, label)
    n = len(FADERS)
    music_ov, visual_ov = _overrides(values_and_flags[:n], values_and_flags[n:])
    used_seed = None if randomise or seed is None or seed == "" else int(seed)
    out = out_root() / uuid.uuid4().hex[:12]
    try:
        result = studio.create(
            emotion=target,
            bars=int(bars),
            seed=used_seed,
            size=int(size),
            style=None if style in (None, "", "auto") else style,
            candidates=int(candidates),
            rounds=int(rounds),
            what=what or "both",
            music_overrides=music_ov,
            visual_overrides=visual_ov,
            progress=lambda f, m: progress(f, desc=m),
        )
        progress(0.95, desc="saving")
        with _DRAW_LOCK:
            files = result.save(out)
    except USER_ERRORS as e:
        raise _user_error(e) from None
    except ImportError as e:
        raise _user_error(f"part of the studio is not available: {e}") from None
    get = lambda suffix, under="": next(  # noqa: E731
        (str(p) for k, p in sorted(files.items()) if k.startswith(under) and k.endswith(suffix)), None
    )
    readout, circ = _readout(target, result)
    return (
        get(".wav", "music"),
        get(".mid", "music"),
        get(".png", "music"),
        get(".png", "painting"),
        circ,
        readout,
        result.seed,
        str(files["create.json"]),
    )


def reaim_midi(midi_file, valence, arousal, dominance, label, strength, seed, randomise, progress=gr.Progress()):
    """Re-aim an uploaded MIDI toward the target emotion (``studio.transform``)."""
    if not midi_file:
        raise _user_error("upload a MIDI file (.mid) first")
    target = _emotion(valence, arousal, dominance, label)
    progress(0.1, desc="re-aiming")
    try:
        r = studio.transform(
            str(midi_file), emotion=target, strength=float(strength), seed=None if randomise else int(seed or 0)
        )
        out = out_root() / uuid.uuid4().hex[:12]
        with _DRAW_LOCK:
            r.save(out)
    except USER_ERRORS as e:
        raise _user_error(e) from None
    except ImportError as e:
        raise _user_error(f"re-aiming needs the music transform model, which is not available: {e}") from None
    files = sorted(p for p in out.rglob("*") if p.is_file())
    pick = lambda s: next((str(p) for p in files if p.suffix == s), None)  # noqa: E731
    rd = r.reading
    text = (
        f"**Music critic**: V {rd.valence:+.2f} · A {rd.arousal:+.2f} — distance {rd.distance(target):.2f}"
        if rd
        else "no reading"
    )
    return pick(".wav"), pick(".mid"), pick(".png"), f"{text}  \nseed used: **{r.seed}**"


def paint_photo(photo, valence, arousal, dominance, label, size, style, seed, randomise, progress=gr.Progress()):
    """Paint an uploaded photo in the target emotion (``studio.paint(photo=...)``)."""
    if photo is None:
        raise _user_error("upload a photo first")
    target = _emotion(valence, arousal, dominance, label)
    try:
        r = studio.paint(
            target,
            photo=photo,
            size=int(size),
            style=None if style in (None, "", "auto") else style,
            seed=None if randomise else int(seed or 0),
            progress=lambda d, n: progress(d / max(n, 1), desc="painting"),
        )
    except USER_ERRORS as e:
        raise _user_error(e) from None
    rd = r.reading
    text = (
        f"**Image critic**: V {rd.valence:+.2f} · A {rd.arousal:+.2f} — distance {rd.distance(target):.2f}"
        if rd
        else "**Image critic**: no reading"
    )
    return r.image, f"{text}  \nseed used: **{r.seed}**"


# --- layout ----------------------------------------------------------------------------------------
def build_demo(concurrency: int = 2) -> gr.Blocks:
    """The studio as ``gr.Blocks`` (queued, not launched)."""
    out_root()
    start = named_emotions()["tender"]
    with gr.Blocks(title="Emotion Studio") as demo:
        gr.Markdown(
            "# Emotion Studio\nOne emotion in: music and a painting out, each read back by a critic. "
            "Click the circle, choose a word or describe a feeling."
        )
        label = gr.State(start.label)
        with gr.Row():
            with gr.Column(scale=1):
                picker = gr.Image(
                    value=draw_picker(start.valence, start.arousal),
                    label="valence (→ pleasant) / arousal (↑ excited): click to choose",
                    interactive=False,
                    type="pil",
                    height=PICKER_SIZE,
                    elem_id="picker",
                )
                with gr.Row():
                    word = gr.Dropdown(sorted(named_emotions()), label="or a word", value=None, elem_id="word")
                with gr.Row():
                    text = gr.Textbox(label="or describe it", placeholder="a rainy farewell at dusk", scale=3)
                    read_btn = gr.Button("Read text", scale=1)
                valence = gr.Slider(-1, 1, start.valence, step=0.01, label="valence", elem_id="valence")
                arousal = gr.Slider(-1, 1, start.arousal, step=0.01, label="arousal", elem_id="arousal")
                dominance = gr.Slider(-1, 1, start.dominance, step=0.01, label="dominance (submissive .. in control)")
                emotion_md = gr.Markdown(describe(start.valence, start.arousal, start.dominance, start.label))
            with gr.Column(scale=1):
                with gr.Accordion("Attributes (prefilled from the emotion; tick to override)", open=False):
                    sliders, flags = [], []
                    for name, lab, lo, hi, step in FADERS:
                        with gr.Row():
                            sliders.append(gr.Slider(lo, hi, step=step, label=lab, scale=4, elem_id=f"fader-{name}"))
                            flags.append(gr.Checkbox(False, label="override", scale=1, min_width=80))
                    style = gr.Dropdown(STYLES, value="auto", label="painting style")
                with gr.Row():
                    what = gr.Radio(["both", "music", "art"], value="both", label="make", elem_id="what")
                    size = gr.Dropdown([256, 384, 512, 768], value=512, label="painting size (px)", elem_id="size")
                with gr.Row():
                    bars = gr.Slider(2, 32, 8, step=1, label="bars", elem_id="bars")
                    candidates = gr.Slider(1, 8, 1, step=1, label="candidates per round (1: no loop)", elem_id="candidates")
                    rounds = gr.Slider(1, 4, 1, step=1, label="rounds", elem_id="rounds")
                with gr.Row():
                    seed = gr.Number(0, precision=0, label="seed", minimum=0)
                    randomise = gr.Checkbox(True, label="randomise seed")
                    used_seed = gr.Number(label="seed used", interactive=False, precision=0, elem_id="used-seed")
                go = gr.Button("Generate", variant="primary", elem_id="generate")
        with gr.Row():
            audio = gr.Audio(label="music", type="filepath", elem_id="audio")
            midi = gr.File(label="MIDI download", elem_id="midi")
            sidecar = gr.File(label="JSON sidecar")
        with gr.Row():
            roll = gr.Image(label="piano roll", type="filepath")
            painting = gr.Image(label="painting", type="filepath", elem_id="painting")
            circ = gr.Image(label="target (star) vs critic readings per round", type="filepath", elem_id="circumplex")
        readout = gr.Markdown(elem_id="readout")
        with gr.Tab("Re-aim a MIDI"):
            with gr.Row():
                midi_in = gr.File(label="your MIDI", file_types=[".mid", ".midi"], type="filepath")
                strength = gr.Slider(0, 1, 0.6, step=0.05, label="strength")
                reaim_btn = gr.Button("Re-aim toward the target")
            with gr.Row():
                re_audio = gr.Audio(label="re-aimed", type="filepath")
                re_midi = gr.File(label="re-aimed MIDI")
                re_roll = gr.Image(label="piano roll", type="filepath")
            re_text = gr.Markdown()
        with gr.Tab("Paint a photo"):
            with gr.Row():
                photo_in = gr.Image(label="your photo", type="filepath")
                photo_out = gr.Image(label="painted in the target emotion")
            photo_btn = gr.Button("Paint it")
            photo_text = gr.Markdown()

        vad = [valence, arousal, dominance]
        refresh = dict(fn=describe, inputs=[*vad, label], outputs=emotion_md)
        refill = dict(fn=prefill, inputs=[*vad, *sliders, *flags], outputs=sliders)
        picker.select(on_pick, inputs=None, outputs=[valence, arousal, picker, label]).then(**refresh).then(**refill)
        word.input(on_word, inputs=word, outputs=[*vad, picker, label]).then(**refresh).then(**refill)
        for ev in (read_btn.click, text.submit):
            ev(on_text, inputs=text, outputs=[*vad, picker, label]).then(**refresh).then(**refill)
        for s in (valence, arousal):
            s.release(lambda v, a: (draw_picker(v, a), ""), inputs=[valence, arousal], outputs=[picker, label]).then(
                **refresh
            ).then(**refill)
        dominance.release(**refresh).then(**refill)
        demo.load(**refill)
        go.click(
            generate,
            inputs=[*vad, label, what, bars, candidates, rounds, size, style, seed, randomise, *sliders, *flags],
            outputs=[audio, midi, roll, painting, circ, readout, used_seed, sidecar],
            concurrency_id="generate",
        )
        reaim_btn.click(
            reaim_midi,
            inputs=[midi_in, *vad, label, strength, seed, randomise],
            outputs=[re_audio, re_midi, re_roll, re_text],
            concurrency_id="generate",
        )
        photo_btn.click(
            paint_photo,
            inputs=[photo_in, *vad, label, size, style, seed, randomise],
            outputs=[photo_out, photo_text],
            concurrency_id="generate",
        )
    demo.queue(default_concurrency_limit=concurrency, max_size=64)
    return demo


def launch(host: str = "127.0.0.1", port: int | None = None, concurrency: int = 2, **kw):
    from studio.api import configure_threads

    configure_threads()
    return build_demo(concurrency).launch(server_name=host, server_port=port, allowed_paths=[str(out_root())], **kw)


if __name__ == "__main__":
    launch()
