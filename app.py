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

import json  # noqa: E402
import logging  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import uuid  # noqa: E402
from functools import lru_cache  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import gradio as gr  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

import studio  # noqa: E402
from studio.emotion import Emotion, named_emotions  # noqa: E402
from studio.errors import one_line  # noqa: E402

PICKER_SIZE, PICKER_RADIUS = 560, 250
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
FADER_NAMES = [f[0] for f in FADERS]
MUSIC_NAMES = {f[0] for f in MUSIC_FADERS}
YOURS = " · your value (↺ follows the emotion)"
# General MIDI programs offered by name (None: as the generator wrote it)
INSTRUMENTS = {
    "as generated (piano)": None,
    "grand piano": 0,
    "electric piano": 4,
    "vibraphone": 11,
    "marimba": 12,
    "church organ": 19,
    "nylon guitar": 24,
    "orchestral harp": 46,
    "strings": 48,
    "choir": 52,
    "brass section": 61,
    "flute": 73,
    "warm pad": 89,
}
KEYS = ["from the emotion", "C", "C♯/D♭", "D", "E♭", "E", "F", "F♯/G♭", "G", "A♭", "A", "B♭", "B"]
# (button, emotion word, bars, instrument, painting style): the examples row
EXAMPLES = [
    ("tender · harp", "tender", 8, "orchestral harp", "impressionist"),
    ("furious · strings", "furious", 8, "strings", "expressionist"),
    ("triumphant · brass", "triumphant", 8, "brass section", "colourist"),
    ("melancholy · piano", "melancholy", 8, "grand piano", "impressionist"),
    ("playful · marimba", "playful", 4, "marimba", "pointillist"),
    ("serene · warm pad", "serene", 8, "warm pad", "impressionist"),
]
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


MAX_VARIATIONS = 4
ARC_MIN_BARS = 8  # an arc moves phrase by phrase (studio.arc.PHRASE_BARS bars each): two phrases at least
BARS_RANGE = (2, 32)
HELP_MD = """
**Valence / arousal / dominance (V, A, D)**, each from -1 to +1: valence is unpleasant → pleasant,
arousal calm → excited, dominance feeling controlled → in control. **Quadrants**: Q1 pleasant and
excited (joyful), Q2 unpleasant and excited (angry, tense), Q3 unpleasant and calm (sad), Q4 pleasant
and calm (tender, serene).

**Distance**: how far the piece lands from your target on the circle (straight-line distance in V-A;
0 is a hit, about 0.25 is close, 1 or more is another quadrant). For the music it is the loop's
estimate, the critic's reading mixed with what the piece's measured attributes suggest; the loop keeps
the piece with the smallest distance. **Confidence** (0-1): how sure the critic is; low when the piece
or picture is unlike what it was trained on (then a warning says why).

**Rounds**: each round generates *candidates*, judges them, keeps the closest and re-aims the next
round against the error. It **stops** when a piece is within the loop's tolerance, when the rounds
are spent, or past its time budget. The **kept** piece can come from an early round: later rounds
only replace it if they come closer.
"""


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


def _free(box, placed) -> bool:
    inside = box[0] >= 2 and box[1] >= 2 and box[2] <= PICKER_SIZE - 2 and box[3] <= PICKER_SIZE - 2
    return inside and all(box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in placed)


@lru_cache(maxsize=1)
def _picker_base() -> Image.Image:
    img = Image.new("RGB", (PICKER_SIZE, PICKER_SIZE), "white")
    d = ImageDraw.Draw(img)
    c, r = PICKER_SIZE / 2, PICKER_RADIUS
    tints = {1: (255, 244, 214), 2: (255, 224, 220), 3: (222, 230, 245), 4: (222, 242, 226)}
    for q, (start, end) in {1: (270, 360), 2: (180, 270), 3: (90, 180), 4: (0, 90)}.items():
        d.pieslice([c - r, c - r, c + r, c + r], start, end, fill=tints[q])
    d.ellipse([c - r, c - r, c + r, c + r], outline=(120, 120, 120), width=2)
    d.line([c - r - 8, c, c + r + 8, c], fill=(160, 160, 160))
    d.line([c, c - r - 8, c, c + r + 8], fill=(160, 160, 160))
    f, fb = _font(14), _font(15)
    placed: list[tuple[float, float, float, float]] = []
    # axis and quadrant words sit outside the circle, where no emotion dot is
    right = lambda text: PICKER_SIZE - 6 - d.textlength(text, font=fb)  # noqa: E731
    for xy, text in (
        ((right("Q1 joyful"), 6), "Q1 joyful"),
        ((6, 6), "Q2 tense"),
        ((6, PICKER_SIZE - 22), "Q3 sad"),
        ((right("Q4 calm"), PICKER_SIZE - 22), "Q4 calm"),
        ((c + 6, c - r - 24), "excited"),
        ((c + 6, c + r + 6), "calm"),
        ((right("pleasant"), c + 4), "pleasant"),
        ((4, c + 4), "unpleasant"),
    ):
        box = d.textbbox(xy, text, font=fb)
        d.text(xy, text, fill=(70, 70, 70), font=fb)
        placed.append(box)
    dots = sorted(named_emotions().items(), key=lambda kv: -abs(kv[1].valence) - abs(kv[1].arousal))
    for _name, e in dots:
        x, y = _to_px(e.valence, e.arousal)
        d.ellipse([x - 3, y - 3, x + 3, y + 3], fill=(95, 95, 95))
        placed.append((x - 3, y - 3, x + 3, y + 3))
    for name, e in dots:  # a word beside its dot (right, left, above, below), never over another
        x, y = _to_px(e.valence, e.arousal)
        w = d.textlength(name, font=f)
        for xy in ((x + 6, y - 8), (x - 6 - w, y - 8), (x - w / 2, y - 22), (x - w / 2, y + 5)):
            box = d.textbbox(xy, name, font=f)
            if _free(box, placed):
                d.text(xy, name, fill=(60, 60, 60), font=f)
                placed.append(box)
                break
    return img


def draw_picker(valence: float, arousal: float) -> Image.Image:
    """The circumplex with a marker at (valence, arousal)."""
    img = _picker_base().copy()
    d = ImageDraw.Draw(img)
    x, y = _to_px(float(valence), float(arousal))
    d.ellipse([x - 11, y - 11, x + 11, y + 11], outline=(192, 40, 40), width=3)
    d.ellipse([x - 3, y - 3, x + 3, y + 3], fill=(192, 40, 40))
    return img


def draw_arc(points) -> Image.Image:
    """The circumplex with an arc: the start (green), the end (red) and an arrow from one to the other."""
    img = _picker_base().copy()
    d = ImageDraw.Draw(img)
    pts = [_to_px(float(v), float(a)) for v, a in (points or [])[:2]]
    if len(pts) == 2:
        (x0, y0), (x1, y1) = pts
        d.line([x0, y0, x1, y1], fill=(192, 40, 40), width=3)
        n = max(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5, 1e-6)
        ux, uy = (x1 - x0) / n, (y1 - y0) / n
        bx, by = x1 - 14 * ux, y1 - 14 * uy  # the arrow head stops at the end marker's ring
        d.polygon(
            [(bx, by), (bx - 14 * ux - 7 * uy, by - 14 * uy + 7 * ux), (bx - 14 * ux + 7 * uy, by - 14 * uy - 7 * ux)],
            fill=(192, 40, 40),
        )
    for i, (x, y) in enumerate(pts):
        colour = (27, 138, 58) if i == 0 else (192, 40, 40)
        d.ellipse([x - 11, y - 11, x + 11, y + 11], outline=colour, width=3)
        d.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)
    return img


def arc_note(points) -> str:
    """The line under the picker in arc mode: what the clicks have set and what comes next."""
    pts = list(points or [])
    fmt = lambda p: f"V {p[0]:+.2f} A {p[1]:+.2f} ({_near_word(*p)})"  # noqa: E731
    if not pts:
        return "**Arc**: click the circle where the piece **starts**."
    if len(pts) == 1:
        return f"**Arc** from {fmt(pts[0])}: now click where it **ends**."
    return (
        f"**Arc** from {fmt(pts[0])} → to {fmt(pts[1])}. Generate composes it phrase by phrase "
        f"({ARC_MIN_BARS} bars or more recommended); the painting is made for the end point. "
        "A third click starts a new arc."
    )


# --- handlers (plain functions; tested directly) ---------------------------------------------------
def _emotion(valence: float, arousal: float, dominance: float, label: str | None = None) -> Emotion:
    try:
        return Emotion(float(valence), float(arousal), float(dominance), label=label or None)
    except USER_ERRORS as e:
        raise _user_error(e) from None


def _near_word(valence: float, arousal: float) -> str:
    """What the word box shows for a point that is not a named emotion: its nearest word, marked."""
    return "≈ " + Emotion.coerce((float(valence), float(arousal))).nearest(1)[0][0]


def on_pick(evt: gr.SelectData):
    """Click on the circumplex -> valence, arousal, dominance reset to neutral, redrawn picker,
    cleared label and the word box showing the nearest word (nothing stale carries over)."""
    x, y = evt.index[:2]
    v, a = px_to_va(x, y)
    return v, a, Emotion.coerce((v, a)).dominance, draw_picker(v, a), "", _near_word(v, a)


def on_pick_arc(arc_on: bool, points, evt: gr.SelectData):
    """A click in arc mode sets the start, the next the end (a third starts again); the emotion
    controls follow the clicked point. Out of arc mode it is :func:`on_pick`."""
    v, a, d, img, label, word = on_pick(evt)
    arc_img, points, note = arc_click(arc_on, points, v, a)
    return v, a, d, img if arc_img is None else arc_img, label, word, points, note


def arc_click(arc_on: bool, points, valence: float, arousal: float):
    """After a click: in arc mode the clicked point becomes the start (first or third click) or the
    end (second), and the picker is redrawn with both; out of arc mode nothing changes (image None)."""
    if not arc_on:
        return None, None, ""
    points = [list(p) for p in points or []]
    points = [[valence, arousal]] if len(points) != 1 else [*points, [valence, arousal]]
    return draw_arc(points), points, arc_note(points)


def on_arc_toggle(arc_on: bool, valence: float, arousal: float):
    """Entering arc mode clears any earlier arc; leaving it returns to the one-emotion picker.
    The arc state is ``None`` out of arc mode, else the points clicked so far."""
    if arc_on:
        return [], draw_arc([]), arc_note([])
    return None, draw_picker(valence, arousal), ""


def arc_arg(points) -> str:
    """The two clicked points as ``studio.create``'s arc string, ``"v,a -> v,a"``."""
    pts = list(points or [])
    if len(pts) != 2:
        raise _user_error("arc mode: click the circle twice (start, then end) before Generate")
    return " -> ".join(f"{float(v):.3f},{float(a):.3f}" for v, a in pts)


def on_va(valence: float, arousal: float):
    """Valence/arousal moved by hand -> redrawn picker, cleared label, nearest word."""
    return draw_picker(valence, arousal), "", _near_word(valence, arousal)


def on_word(word: str | None):
    """A named emotion -> its VAD (and the label kept for the sidecar)."""
    word = (word or "").removeprefix("≈").strip()
    if not word:
        raise _user_error("choose a word from the list")
    e = named_emotions().get(word)
    if e is None:
        raise _user_error(f"unknown emotion word {word!r}; choose one from the list")
    return e.valence, e.arousal, e.dominance, draw_picker(e.valence, e.arousal), word, word


def on_text(text: str | None):
    """Free text -> VAD through the text model (``studio.analyze``); the word box shows the nearest word."""
    try:
        a = studio.analyze(text or "")
    except USER_ERRORS as err:
        raise _user_error(err) from None
    except ImportError as err:
        raise _user_error(f"free text needs the text model, which is not available: {err}") from None
    e = a.emotion
    label = (text or "").strip()[:200]
    return e.valence, e.arousal, e.dominance, draw_picker(e.valence, e.arousal), label, _near_word(*e.va)


def describe(valence: float, arousal: float, dominance: float, label: str | None) -> str:
    """Markdown: the resolved VAD, quadrant, nearest named emotions and how a text label was read
    (with the text model's confidence and a warning when the API says the reading is uncertain)."""
    e = _emotion(valence, arousal, dominance, label)
    near = ", ".join(f"**{n}** ({d:.2f})" for n, d in e.nearest(3))
    src = f" from *{label}*" if label else ""
    md = f"**Target**{src}: V {e.valence:+.2f} · A {e.arousal:+.2f} · D {e.dominance:+.2f} (Q{e.quadrant})  \nnearest: {near}"
    try:
        a = studio.analyze(label if label else e)
    except (ImportError, AttributeError, ValueError, TypeError):
        return md
    md += f"  \n*{studio.text.describe(e)}*"
    if a.method not in ("named", "numeric"):
        md += f"  \nread by the {a.method} text model, **confidence {a.confidence:.2f}**: {a.explanation}"
        if "low confidence" in a.explanation:
            md += "  \n⚠️ **uncertain reading**: check the point on the circle, or choose a word instead."
    return md


def _round_to(x: float, lo: float, hi: float, step: float) -> float:
    """``x`` clipped to the fader and rounded to its step (what the fader can show)."""
    x = max(lo, min(hi, float(x)))
    digits = max(0, -int(f"{step:e}".split("e")[1]))
    return round(round((x - lo) / step) * step + lo, digits)


def mapped_values(valence: float, arousal: float, dominance: float) -> dict[str, float] | None:
    """Fader values ``studio.attributes_for`` maps the emotion to (None when the mapping is absent)."""
    try:
        t = studio.attributes_for(_emotion(valence, arousal, dominance))
    except (ImportError, AttributeError):
        return None
    out = {}
    for name, _label, lo, hi, step in FADERS:
        val = getattr(t.music if name in MUSIC_NAMES else t.visual, name, None)
        if val is not None:
            out[name] = _round_to(val, lo, hi, step)
    return out


def _fader_label(name: str, yours: bool) -> str:
    return dict((f[0], f[1]) for f in FADERS)[name] + (YOURS if yours else "")


def kept_note(touched) -> str:
    """The line above Generate that says which faders hold the user's own values."""
    if not touched:
        return ""
    names = ", ".join(_fader_label(n, False).split(" (")[0] for n in FADER_NAMES if n in touched)
    return f"Your fader values are used for: **{names}** (↺ beside a fader returns it to the emotion's value)."


def prefill(valence: float, arousal: float, dominance: float, touched, plan, *values) -> dict | None:
    """Faders follow the emotion; a fader the user moved keeps its value. The plan the browser applies
    (``FOLLOW_JS``): ``to``, the emotion's values for the faders that follow it, and ``sent``, the value each
    of them shows if the user left it alone: what the previous ``plan`` put there (else what it showed when
    the change was sent). The browser applies a value only where the fader still shows that, so a value typed
    in is kept, even one typed before the server heard that the fader was touched."""
    touched = set(touched or ())
    mapped = mapped_values(valence, arousal, dominance)
    if mapped is None:  # the mapping is not available: leave the faders alone
        return None
    last = plan.get("to", {}) if isinstance(plan, dict) else {}
    to = {n: mapped[n] for n in FADER_NAMES if n in mapped and n not in touched}
    return {"to": to, "sent": {n: last.get(n, v) for n, v in zip(FADER_NAMES, values) if n in to}}


# In the browser, as the refill lands: each fader takes the emotion's value unless it changed since the
# refill was sent (the user typed into it meanwhile) or the user had moved it before.
FOLLOW_JS = f"""(plan, ...shown) => {{
  const names = {json.dumps(FADER_NAMES)};
  shown = shown.slice(0, names.length);
  if (!plan || !plan.to) return shown;
  return names.map((n, i) =>
    n in plan.to && Number(shown[i]) === Number(plan.sent[n]) ? plan.to[n] : shown[i]);
}}"""


def mark_touched(name: str, touched, value=None):
    """A fader moved by the user: its value is used from now on. The label's update carries the value the
    user set: an update of the label alone let the page put back the value it last had from the server (a
    typed tempo reverted to the emotion's while the label said "your value", 1 browser-test run in 4)."""
    touched = sorted(set(touched or ()) | {name})
    label = _fader_label(name, True)
    return touched, gr.update(label=label) if value is None else gr.update(label=label, value=value), kept_note(touched)


def reset_fader(name: str, valence: float, arousal: float, dominance: float, touched):
    """↺: the fader returns to the current emotion's mapped value and follows the emotion again."""
    touched = sorted(set(touched or ()) - {name})
    mapped = mapped_values(valence, arousal, dominance) or {}
    value = mapped.get(name, gr.update())
    return gr.update(value=value, label=_fader_label(name, False)), touched, kept_note(touched)


def fader_overrides(values, touched) -> tuple[dict, dict]:
    """The faders the user touched, as ``(music_overrides, visual_overrides)``: the values on screen."""
    touched = set(touched or ())
    music, visual = {}, {}
    for (name, *_), val in zip(FADERS, values):
        if name in touched and val is not None:
            (music if name in MUSIC_NAMES else visual)[name] = float(val)
    if "tempo" in music:
        music["tempo"] = float(round(music["tempo"]))
    return music, visual


def seconds_for(bars, tempo) -> float:
    """Length in seconds of ``bars`` 4/4 bars at ``tempo`` BPM."""
    return round(float(bars) * 4 * 60.0 / max(float(tempo or 120), 1.0), 1)


def bars_for(seconds, tempo) -> int:
    """Bars for a length in seconds (``studio.music.bars_for_seconds``), clipped to the bars slider."""
    from studio.music import bars_for_seconds

    try:
        bars = bars_for_seconds(float(seconds or 0), float(tempo or 120))
    except ValueError as e:
        if "at most" not in str(e):
            raise _user_error(e) from None
        bars = BARS_RANGE[1]
    return int(max(BARS_RANGE[0], min(BARS_RANGE[1], bars)))


def _kept_round(rounds: list) -> int | None:
    """Index of the round whose piece the loop kept (the last round that improved on the best)."""
    kept = None
    for i, rnd in enumerate(rounds):
        if rnd.get("improved_best", True):
            kept = i
    return kept


def _point(cand: dict):
    if cand.get("estimate"):
        return {"valence": cand["estimate"][0], "arousal": cand["estimate"][1]}
    return cand.get("reading")


def music_distance(target: Emotion, music) -> float | None:
    """The one distance shown for a piece: the loop's (the number it chose by), for an arc the mean
    phrase distance (the number the arc chose by), else the critic's."""
    arc = (getattr(music, "extra", None) or {}).get("arc")
    if arc and arc.get("mean_phrase_distance") is not None:
        return float(arc["mean_phrase_distance"])
    rounds = getattr(music, "rounds", None) or []
    if rounds and rounds[-1].get("best_distance") is not None:
        return float(rounds[-1]["best_distance"])
    r = getattr(music, "reading", None)
    return None if r is None else float(r.distance(target))


def _reading_line(name: str, r, distance: float | None) -> str:
    """``**Music**: distance 0.23 · the critic reads V .. A .. (Qn), confidence ..`` (+ its warning)."""
    if r is None:
        return f"**{name}**: the critic gave no reading"
    dist = "" if distance is None else f"distance **{distance:.2f}** · "
    line = (
        f"**{name}**: {dist}the {name.lower()} critic reads V {r.valence:+.2f} · A {r.arousal:+.2f} "
        f"(Q{r.quadrant}), confidence {r.confidence:.2f}"
    )
    warning = (r.details or {}).get("warning")
    return line + (f"  \n⚠️ {warning}" if warning else "")


def arc_table(arc: dict) -> str:
    """Markdown: per phrase its bars, the target and the reading of its measured attributes."""
    rows = []
    for p in arc.get("phrases", []):
        t, va = p["target"], p.get("attribute_va")
        if va is None:
            got, dist = "– | –", "–"  # a silent phrase has no attributes to read
        else:
            got = f"{va[0]:+.2f} | {va[1]:+.2f}"
            dist = f"{((va[0] - t['valence']) ** 2 + (va[1] - t['arousal']) ** 2) ** 0.5:.2f}"
        rows.append(f"| {p['bars'][0]}-{p['bars'][1]} | {t['valence']:+.2f} | {t['arousal']:+.2f} | {got} | {dist} |")
    return "\n".join(
        [
            "",
            "",
            "**Arc, phrase by phrase** (reading = where the phrase's measured attributes point)",
            "",
            "| bars | target V | target A | reading V | reading A | distance |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )


def readout(target: Emotion, result) -> tuple[str, str]:
    """Markdown of the critics' readings and a circumplex PNG: the loop's estimate per round (the
    points its distance is measured from), the kept round ringed, and the image critic's reading."""
    from studio.render import circumplex_png

    lines, per_round, cands, kept, marks = [], [], [], None, {}
    music, art = result.music, result.art
    if music is not None:
        rounds = getattr(music, "rounds", None) or []
        for rnd in rounds:
            chosen = rnd["candidates"][rnd["chosen"]]
            if _point(chosen):
                per_round.append(_point(chosen))
            cands += [_point(c) for c in rnd["candidates"] if _point(c) and c is not chosen]
        kept = _kept_round(rounds)
        dist = music_distance(target, music)
        lines.append(_reading_line("Music", music.reading, dist))
        if rounds:
            why = rounds[-1].get("why", "")
            lines.append(
                f"kept the piece from **round {kept + 1} of {len(rounds)}**"
                + (f"; stopped: {why}" if why else "")
                + " · distance = the loop's estimate (critic + measured attributes)"
            )
        elif arc := (music.extra or {}).get("arc"):
            lines.append(
                f"arc over {len(arc['phrases'])} phrases · distance = mean over the phrases of "
                "(phrase reading to its target)" + arc_table(arc)
            )
            per_round = [
                {"valence": p["attribute_va"][0], "arousal": p["attribute_va"][1]}
                for p in arc["phrases"]
                if p.get("attribute_va")
            ]
            kept = None
        elif music.reading is not None:
            per_round, kept = [music.reading], 0
        if program_note := next((n for n in music.notes if "General MIDI program" in n), None):
            lines.append(program_note)
    if art is not None:
        r = art.reading
        lines.append(_reading_line("Image", r, None if r is None else r.distance(target)))
        if r is not None:
            marks["image critic (painting)"] = r
    lines.append(f"seed used: **{result.seed}**")
    path = out_root() / f"circumplex-{uuid.uuid4().hex[:10]}.png"
    title = f"arc end, the painting's target: {target}" if result.arc else f"target {target}"
    if music is not None and kept is not None and music_distance(target, music) is not None:
        title += f"\nkept: round {kept + 1}, distance {music_distance(target, music):.2f}"
    with _DRAW_LOCK:
        circumplex_png(
            target,
            per_round,
            path,
            title=title,
            candidates=cands or None,
            path_label="music: phrase readings (arc)" if result.arc else "music: loop estimate per round",
            kept=kept if per_round else None,
            marks=marks,
        )
    return "  \n".join(lines), str(path)


def _history_row(entry: dict) -> list:
    d = entry.get("distance")
    return [
        entry["n"],
        entry["emotion"],
        entry["instrument"],
        entry["bars"],
        entry["seed"],
        "" if d is None else f"{d:.2f}",
    ]


def _choice(entry: dict) -> str:
    d = entry.get("distance")
    return f"#{entry['n']} {entry['emotion']} · {entry['instrument']} · seed {entry['seed']}" + (
        "" if d is None else f" · d {d:.2f}"
    )


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
    temperature,
    instrument,
    key,
    variations,
    touched,
    *values,
    arc=None,
    progress=gr.Progress(),
):
    """Generate music and/or a painting (``variations`` pieces, seeds seed, seed+1, ...).

    ``arc``: the two points clicked in arc mode (``[[v, a], [v, a]]``), or ``None`` for one emotion;
    an arc is composed phrase by phrase and the painting made for its end point (``studio.create``).

    Returns:
        ``(outputs, entries)``: the shown result's audio, MIDI, sidecar, piano roll, painting,
        circumplex, readout and seed used; and one history entry per variation.
    """
    target, asked = _targets(valence, arousal, dominance, label, arc)
    music_ov, visual_ov = fader_overrides(values, touched)
    program, n = _check_choices(music_ov, key, instrument, variations)
    base = _base_seed(seed, randomise)
    request = {
        "emotion": asked,
        "bars": int(bars),
        "size": int(size),
        "style": None if style in (None, "", "auto") else style,
        "candidates": int(candidates),
        "rounds": int(rounds),
        "what": what or "both",
        "music_overrides": music_ov,
        "visual_overrides": visual_ov,
        "temperature": None if temperature in (None, "") else float(temperature),
        "program": program,
    }
    progress(0.01, desc="loading the models")
    made = [_variation(request, base + i, i, n, progress) for i in range(n)]
    name = f"arc {asked}" if arc is not None else label or f"V {target.valence:+.2f} A {target.arousal:+.2f}"
    entries = [_history_entry(name, instrument, bars, target, result, files) for result, files in made]
    distances = [0.0 if r.music is None else music_distance(target, r.music) for r, _ in made]
    best = min(range(n), key=distances.__getitem__)  # the closest variation is shown
    result, shown = made[best][0], entries[best]
    text, circ = readout(target, result)
    if n > 1:
        text += f"  \nshowing variation {best + 1} of {n} (the closest); all {n} are in the history below."
    progress(1.0, desc="done")
    keys = ("audio", "midi", "sidecar", "roll", "painting")
    return (*(shown[k] for k in keys), circ, text, result.seed), entries


def _targets(valence, arousal, dominance, label, arc) -> tuple[Emotion, Emotion | str]:
    """``(target, asked)``: the emotion the result is read against and what ``studio.create`` is asked for
    (an arc's text, whose target is its end point)."""
    target = _emotion(valence, arousal, dominance, label)
    if arc is None:
        return target, target
    asked = arc_arg(arc)  # checks the arc first: one click is not an arc yet
    return _emotion(*arc[1], Emotion.coerce(tuple(arc[1])).dominance), asked


def _base_seed(seed, randomise) -> int:
    """The first variation's seed: the seed box's, or a fresh one when "randomise" is ticked or the box is empty."""
    from studio.seeding import resolve_seed

    try:
        return resolve_seed(None if randomise or seed is None or seed == "" else int(seed))
    except USER_ERRORS as e:
        raise _user_error(e) from None


def _variation(request: dict, seed: int, i: int, n: int, progress) -> tuple:
    """Variation ``i`` of ``n``: ``studio.create`` with ``seed``, saved in a fresh folder: ``(result, files)``."""
    part = f"variation {i + 1}/{n}: " if n > 1 else ""
    try:
        result = studio.create(**request, seed=seed, progress=lambda f, m: progress((i + 0.95 * f) / n, desc=part + m))
        progress((i + 0.95) / n, desc=part + "saving")
        with _DRAW_LOCK:
            files = result.save(out_root() / uuid.uuid4().hex[:12])
    except USER_ERRORS as e:
        raise _user_error(e) from None
    except ImportError as e:
        raise _user_error(f"part of the studio is not available: {e}") from None
    return result, files


def _check_choices(music_ov: dict, key, instrument, variations) -> tuple[int | None, int]:
    """Key (into ``music_ov``), instrument and number of variations from the controls:
    ``(GM program or None, variations)``; a value the controls cannot produce is a ``gr.Error``."""
    if key not in (None, "", KEYS[0]):
        if key not in KEYS:
            raise _user_error(f"key must be one of {', '.join(KEYS)}; got {key!r}")
        music_ov["key"] = KEYS.index(key) - 1
    if instrument not in INSTRUMENTS and instrument not in (None, ""):
        raise _user_error(f"instrument must be one of: {', '.join(INSTRUMENTS)}; got {instrument!r}")
    n = int(variations or 1)
    if not 1 <= n <= MAX_VARIATIONS:
        raise _user_error(f"variations must be 1-{MAX_VARIATIONS}, got {variations}")
    return INSTRUMENTS.get(instrument or ""), n


def _history_entry(name: str, instrument, bars, target: Emotion, result, files: dict) -> dict:
    """One row of the history: what was asked, the seed, the distance, and the files it made."""

    def get(suffix: str, under: str = "") -> str | None:
        return next((str(p) for k, p in sorted(files.items()) if k.startswith(under) and k.endswith(suffix)), None)

    return {
        "emotion": name,
        "instrument": instrument or next(iter(INSTRUMENTS)),
        "bars": int(bars),
        "seed": result.seed,
        "distance": music_distance(target, result.music) if result.music is not None else None,
        "audio": get(".wav", "music"),
        "midi": get(".mid", "music"),
        "roll": get(".png", "music"),
        "painting": get(".png", "painting"),
        "sidecar": str(files["create.json"]),
    }


def more_like_this(entry: dict | None):
    """Pin every fader to the attributes a result was made with and continue from its seed, so the
    next Generate makes new pieces close to it (what the faders then show is what is used)."""
    import json

    if not entry:
        raise _user_error("generate something first; 'more like this' starts from a result")
    meta = json.loads(Path(entry["sidecar"]).read_text())
    attrs = meta.get("attributes") or {}
    music, visual = attrs.get("music_requested") or {}, attrs.get("visual") or {}
    if meta.get("arc"):  # an arc's music is one request per phrase: pinning the first would flatten it
        music = {}
    values, touched = [], []
    for name, _label, lo, hi, step in FADERS:
        val = (music if name in MUSIC_NAMES else visual).get(name)
        if val is None:
            values.append(gr.update())
        else:
            values.append(gr.update(value=_round_to(val, lo, hi, step), label=_fader_label(name, True)))
            touched.append(name)
    return [*values, touched, kept_note(touched), int(meta["seed"]) + 1, False]


def reaim_midi(midi_file, valence, arousal, dominance, label, strength, seed, randomise, progress=gr.Progress()):
    """Re-aim an uploaded MIDI toward the target emotion (``studio.transform``).

    Returns:
        the original's audio, the re-aimed audio, MIDI, piano roll and sidecar, and a Markdown
        report: the target, the critic's reading before and after, and what changed.
    """
    from studio.render import render_audio, write_audio

    if not midi_file:
        raise _user_error("upload a MIDI file (.mid) first")
    target = _emotion(valence, arousal, dominance, label)
    progress(0.1, desc="re-aiming")
    out = out_root() / uuid.uuid4().hex[:12]
    try:
        r = studio.transform(
            str(midi_file), emotion=target, strength=float(strength), seed=None if randomise else int(seed or 0)
        )
        progress(0.6, desc="rendering the original and the re-aimed piece")
        with _DRAW_LOCK:
            files = r.save(out, stem="reaimed")
        original = out / "original.wav"
        write_audio(original, render_audio(str(midi_file)))
    except USER_ERRORS as e:
        raise _user_error(e) from None
    except ImportError as e:
        raise _user_error(f"re-aiming needs the music transform model, which is not available: {e}") from None
    rows = []
    for name, rd in (("before (your MIDI)", r.reading_before), ("after (re-aimed)", r.reading)):
        if rd is None:
            rows.append(f"| {name} | – | – | – | – | – |")
        else:
            rows.append(
                f"| {name} | {rd.valence:+.2f} | {rd.arousal:+.2f} | Q{rd.quadrant} | "
                f"{rd.distance(target):.2f} | {rd.confidence:.2f} |"
            )
    src = f" (*{label}*)" if label else ""
    text = "\n".join(
        [
            f"**Target**{src}: V {target.valence:+.2f} · A {target.arousal:+.2f} (Q{target.quadrant}), "
            f"strength {float(strength):.2f}",
            "",
            "| music critic | valence | arousal | quadrant | distance to target | confidence |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            *[
                f"⚠️ {when}: {rd.details['warning']}  "
                for when, rd in (("before", r.reading_before), ("after", r.reading))
                if rd is not None and (rd.details or {}).get("warning")
            ],
            "",
            "**What changed**",
            *[f"- {n}" for n in r.notes],
            "",
            f"seed used: **{r.seed}**",
        ]
    )
    get = lambda k: str(files[k]) if k in files else None  # noqa: E731
    return str(original), get("wav"), get("mid"), get("png"), get("json"), text


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
            progress=lambda f, m: progress(f, desc="painting: " + m),
        )
    except USER_ERRORS as e:
        raise _user_error(e) from None
    rd = r.reading
    text = _reading_line("Image", rd, None if rd is None else rd.distance(target))
    return r.image, f"{text}  \nseed used: **{r.seed}**"


# --- layout ----------------------------------------------------------------------------------------
def build_demo(concurrency: int = 2) -> gr.Blocks:
    """The studio as ``gr.Blocks`` (queued, not launched): the layout, then the events wired to it. Every
    component lives on one namespace, ``ui``, that the steps share."""
    out_root()
    start = named_emotions()["tender"]
    first = mapped_values(start.valence, start.arousal, start.dominance) or {}
    ui = SimpleNamespace()
    with gr.Blocks(title="Emotion Studio") as demo:
        gr.Markdown(
            "# Emotion Studio\nOne emotion in: music and a painting out, each read back by a critic. "
            "Click the circle, choose a word, describe a feeling, or start from an example."
        )
        ui.label = gr.State(start.label)
        ui.touched = gr.State([])
        ui.history = gr.State([])
        ui.shown = gr.State(None)
        ui.arc_pts = gr.State(None)  # None: one emotion; a list: arc mode, the points clicked so far
        # the faders' refill for a new emotion, applied in the browser; it starts as what the page shows
        ui.plan = gr.JSON({"to": first, "sent": {}}, visible=False)
        with gr.Row(elem_id="examples"):
            ui.example_btns = [gr.Button(ex[0], size="sm", min_width=120) for ex in EXAMPLES]
        with gr.Row():
            with gr.Column(scale=1, min_width=320):
                _emotion_controls(ui, start)
            with gr.Column(scale=1, min_width=320):
                _making_controls(ui, first)
        _result_panel(ui)
        _tabs(ui)
        ui.vad = [ui.valence, ui.arousal, ui.dominance]
        ui.fader_list = [ui.sliders[n] for n in FADER_NAMES]
        _wire_emotion_events(ui)
        _wire_generate_events(ui)
        _wire_tab_events(ui)
    demo.queue(default_concurrency_limit=concurrency, max_size=64)
    return demo


def _emotion_controls(ui: SimpleNamespace, start: Emotion) -> None:
    """The left column: the circumplex picker, arc mode, word, text and the VAD sliders."""
    gr.Markdown("**Emotion**: click the circle (→ pleasant, ↑ excited)")
    ui.picker = gr.Image(
        value=draw_picker(start.valence, start.arousal),
        show_label=False,
        interactive=False,
        type="pil",
        elem_id="picker",
        buttons=[],
    )
    ui.arc_on = gr.Checkbox(
        False,
        label="arc: two clicks (from -> to)",
        info=f"the music moves from the first point to the second ({ARC_MIN_BARS}+ bars recommended)",
        elem_id="arc-mode",
    )
    ui.arc_md = gr.Markdown(elem_id="arc-note")
    with gr.Row():
        ui.word = gr.Dropdown(
            sorted(named_emotions()),
            label="or a word",
            value=start.label,
            allow_custom_value=True,
            elem_id="word",
            min_width=140,
        )
        ui.text = gr.Textbox(
            label="or describe it", placeholder="a rainy farewell at dusk", elem_id="text", min_width=160
        )
        ui.read_btn = gr.Button("Read text", size="sm", min_width=90, scale=0, elem_id="read-text")
    ui.emotion_md = gr.Markdown(
        describe(start.valence, start.arousal, start.dominance, start.label), elem_id="emotion-md"
    )
    with gr.Accordion("Fine-tune valence / arousal / dominance", open=False):
        ui.valence = gr.Slider(-1, 1, start.valence, step=0.01, label="valence", elem_id="valence")
        ui.arousal = gr.Slider(-1, 1, start.arousal, step=0.01, label="arousal", elem_id="arousal")
        ui.dominance = gr.Slider(
            -1,
            1,
            start.dominance,
            step=0.01,
            label="dominance (feeling controlled .. in control)",
            info="set by a word or text; a click on the circle resets it to neutral (0)",
            elem_id="dominance",
        )


def _making_controls(ui: SimpleNamespace, first: dict) -> None:
    """The right column: Generate, what to make, length, the music and painting faders, loop and seed."""
    # Generate first: on a phone it sits right under the emotion controls
    with gr.Row():
        ui.go = gr.Button("Generate", variant="primary", elem_id="generate", scale=3)
        ui.variations = gr.Number(
            1,
            precision=0,
            label="variations",
            elem_id="variations",
            min_width=90,
            scale=1,
        )
    ui.kept_md = gr.Markdown(elem_id="kept-note")
    ui.status = gr.Markdown(elem_id="status")
    with gr.Row():
        ui.what = gr.Radio(["both", "music", "art"], value="both", label="make", elem_id="what", min_width=160)
        ui.instrument = gr.Dropdown(
            list(INSTRUMENTS), value=next(iter(INSTRUMENTS)), label="instrument", elem_id="instrument"
        )
    with gr.Row():
        ui.bars = gr.Slider(*BARS_RANGE, 8, step=1, label="length (bars)", elem_id="bars", min_width=160)
        ui.seconds = gr.Number(
            seconds_for(8, first.get("tempo", 120)),
            label="≈ seconds at this tempo",
            elem_id="seconds",
            minimum=1,
            min_width=110,
        )
    ui.sliders: dict[str, gr.Slider] = {}
    ui.resets: dict[str, gr.Button] = {}

    def fader_rows(faders):
        for name, lab, lo, hi, step in faders:
            with gr.Row(equal_height=True):
                ui.sliders[name] = gr.Slider(
                    lo,
                    hi,
                    first.get(name, lo),
                    step=step,
                    label=lab,
                    scale=6,
                    elem_id=f"fader-{name}",
                    buttons=[],  # Gradio's own reset goes to the first emotion's value: ours is ↺
                )
                ui.resets[name] = gr.Button("↺", size="sm", scale=0, min_width=44, elem_id=f"reset-{name}")

    with gr.Accordion("Music: key and attributes (follow the emotion until you move one)", open=False):
        ui.key = gr.Dropdown(KEYS, value=KEYS[0], label="key", elem_id="key")
        fader_rows(MUSIC_FADERS)
    with gr.Accordion("Painting: style, size and attributes", open=False):
        with gr.Row():
            ui.style = gr.Dropdown(STYLES, value="auto", label="painting style", elem_id="style")
            ui.size = gr.Dropdown([256, 384, 512, 768], value=512, label="painting size (px)", elem_id="size")
        fader_rows(VISUAL_FADERS)
    with gr.Accordion("Loop, randomness and seed", open=False):
        with gr.Row():
            ui.candidates = gr.Slider(1, 8, 1, step=1, label="candidates per round (1: no loop)", elem_id="candidates")
            ui.rounds = gr.Slider(1, 4, 1, step=1, label="rounds", elem_id="rounds")
        ui.temperature = gr.Slider(
            0.5,
            1.5,
            1.0,
            step=0.05,
            label="randomness (temperature)",
            info="lower: safer, more repetitive; higher: more surprising",
            elem_id="temperature",
        )
        with gr.Row():
            ui.seed = gr.Number(0, precision=0, label="seed", minimum=0, elem_id="seed")
            ui.randomise = gr.Checkbox(True, label="randomise seed", elem_id="randomise")


def _result_panel(ui: SimpleNamespace) -> None:
    """The result: audio, files, readout, circumplex, painting, piano roll and the A/B history."""
    gr.Markdown("## Result")
    with gr.Row():
        ui.audio = gr.Audio(label="music", type="filepath", elem_id="audio")
        with gr.Column():
            ui.midi = gr.File(label="MIDI download", elem_id="midi")
            ui.sidecar = gr.File(label="JSON sidecar (everything used)", elem_id="sidecar")
            with gr.Row():
                ui.used_seed = gr.Number(label="seed used", interactive=False, precision=0, elem_id="used-seed")
                ui.more = gr.Button("More like this", elem_id="more-like-this")
    ui.readout = gr.Markdown(elem_id="readout")
    with gr.Accordion("What do these numbers mean?", open=False):
        gr.Markdown(HELP_MD)
    with gr.Row():
        with gr.Column():
            gr.Markdown("**Target and readings**")
            ui.circ = gr.Image(show_label=False, type="filepath", elem_id="circumplex", buttons=["fullscreen"])
        with gr.Column():
            gr.Markdown("**Painting**")
            ui.painting = gr.Image(show_label=False, type="filepath", elem_id="painting", buttons=["download"])
    gr.Markdown("**Piano roll** (bars across, pitch up)")
    ui.roll = gr.Image(show_label=False, type="filepath", elem_id="roll", buttons=["fullscreen"])
    with gr.Accordion("History of this visit (A/B listening)", open=False, elem_id="history"):
        ui.table = gr.Dataframe(
            headers=["#", "emotion", "instrument", "bars", "seed", "distance"],
            interactive=False,
            elem_id="history-table",
        )
        with gr.Row():
            with gr.Column():
                ui.pick_a = gr.Dropdown([], label="A", elem_id="pick-a")
                ui.audio_a = gr.Audio(label="A", type="filepath", elem_id="audio-a")
            with gr.Column():
                ui.pick_b = gr.Dropdown([], label="B", elem_id="pick-b")
                ui.audio_b = gr.Audio(label="B", type="filepath", elem_id="audio-b")


def _tabs(ui: SimpleNamespace) -> None:
    """The re-aim-a-MIDI and paint-a-photo tabs."""
    with gr.Tab("Re-aim a MIDI"):
        gr.Markdown("Upload a MIDI: its melody is kept and the rest is re-aimed toward the target emotion above.")
        with gr.Row():
            ui.midi_in = gr.File(label="your MIDI", file_types=[".mid", ".midi"], type="filepath", elem_id="midi-in")
            with gr.Column():
                ui.strength = gr.Slider(0, 1, 0.6, step=0.05, label="strength (0 keeps it, 1 aims fully)")
                ui.reaim_btn = gr.Button("Re-aim toward the target", variant="primary", elem_id="reaim")
        ui.re_status = gr.Markdown(elem_id="re-status")
        with gr.Row():
            ui.orig_audio = gr.Audio(label="original", type="filepath", elem_id="orig-audio")
            ui.re_audio = gr.Audio(label="re-aimed", type="filepath", elem_id="re-audio")
        ui.re_text = gr.Markdown(elem_id="re-text")
        with gr.Row():
            ui.re_midi = gr.File(label="re-aimed MIDI", elem_id="re-midi")
            ui.re_json = gr.File(label="re-aim sidecar", elem_id="re-json")
        ui.re_roll = gr.Image(label="re-aimed piano roll", type="filepath", elem_id="re-roll")
    with gr.Tab("Paint a photo"):
        with gr.Row():
            ui.photo_in = gr.Image(label="your photo", type="filepath")
            ui.photo_out = gr.Image(label="painted in the target emotion")
        ui.photo_btn = gr.Button("Paint it")
        ui.photo_text = gr.Markdown()


def _wire_emotion_events(ui: SimpleNamespace) -> None:
    """Every emotion change refreshes the description, the untouched faders and the seconds."""
    refresh = dict(fn=describe, inputs=[*ui.vad, ui.label], outputs=ui.emotion_md, queue=False)
    refill = dict(fn=prefill, inputs=[*ui.vad, ui.touched, ui.plan, *ui.fader_list], outputs=ui.plan, queue=False)
    follow = dict(fn=None, js=FOLLOW_JS, inputs=[ui.plan, *ui.fader_list], outputs=ui.fader_list, queue=False)
    length = dict(fn=seconds_for, inputs=[ui.bars, ui.sliders["tempo"]], outputs=ui.seconds, queue=False)

    def chain(ev):
        ev.then(**refresh).then(**refill).then(**follow).then(**length)

    quiet = dict(show_progress="hidden")  # a bad word or text is one message, not badges over the picker

    def arc_step(arc_mode, points, v, a):  # the picker's own select stays as for one emotion
        img, points, note = arc_click(arc_mode, points, v, a)
        return gr.update() if img is None else img, points, note

    chain(
        ui.picker.select(on_pick, None, [*ui.vad, ui.picker, ui.label, ui.word], queue=False, **quiet).then(
            arc_step, [ui.arc_on, ui.arc_pts, ui.valence, ui.arousal], [ui.picker, ui.arc_pts, ui.arc_md], queue=False
        )
    )
    ui.arc_on.change(
        on_arc_toggle, [ui.arc_on, ui.valence, ui.arousal], [ui.arc_pts, ui.picker, ui.arc_md], queue=False
    )
    chain(ui.word.input(on_word, ui.word, [*ui.vad, ui.picker, ui.label, ui.word], queue=False, **quiet))
    for ev in (ui.read_btn.click, ui.text.submit):
        chain(ev(on_text, ui.text, [*ui.vad, ui.picker, ui.label, ui.word], **quiet))
    for s in (ui.valence, ui.arousal):
        chain(s.release(on_va, [ui.valence, ui.arousal], [ui.picker, ui.label, ui.word], queue=False))
    chain(ui.dominance.release(lambda: "", None, ui.label, queue=False))
    for i in range(len(EXAMPLES)):
        chain(
            ui.example_btns[i].click(
                lambda i=i: (*on_word(EXAMPLES[i][1]), *EXAMPLES[i][2:]),
                None,
                [*ui.vad, ui.picker, ui.label, ui.word, ui.bars, ui.instrument, ui.style],
                queue=False,
            )
        )
    for name in FADER_NAMES:
        ui.sliders[name].input(
            lambda t, v, name=name: mark_touched(name, t, v),
            [ui.touched, ui.sliders[name]],
            [ui.touched, ui.sliders[name], ui.kept_md],
            queue=False,
            trigger_mode="always_last",
        )
        ui.resets[name].click(
            lambda v, a, d, t, name=name: reset_fader(name, v, a, d, t),
            [*ui.vad, ui.touched],
            [ui.sliders[name], ui.touched, ui.kept_md],
            queue=False,
        )
    ui.sliders["tempo"].change(**length)
    ui.bars.input(**length)
    ui.seconds.input(bars_for, [ui.seconds, ui.sliders["tempo"]], ui.bars, queue=False)


def run_generate(hist, arc_points, *args, progress=gr.Progress()):
    """Generate, then add the new entries to this visit's history with A (the result before) and B (this one)
    ready to compare."""
    outputs, entries = generate(*args, arc=arc_points, progress=progress)
    hist = list(hist or [])
    for e in entries:
        e["n"] = len(hist) + 1
        hist.append(e)
    now = next(e for e in entries if e["sidecar"] == outputs[2])
    choices = [_choice(e) for e in hist]
    a = _choice(hist[-len(entries) - 1]) if len(hist) > len(entries) else choices[0]
    return (
        *outputs,
        hist,
        now,
        [_history_row(e) for e in hist],
        gr.update(choices=choices, value=a),
        gr.update(choices=choices, value=_choice(now)),
        "",
        pick_audio(a, hist),  # A: the result before this one, B: this one, ready to compare
        now["audio"],
    )


def pick_audio(choice, hist):
    """The audio of the history entry chosen in an A/B picker."""
    return next((e["audio"] for e in hist or [] if _choice(e) == choice), None)


def _wire_generate_events(ui: SimpleNamespace) -> None:
    """Generate and More like this (locked while running), the history and its A/B players."""

    lock = dict(fn=lambda: [gr.update(interactive=False)] * 2, inputs=None, outputs=[ui.go, ui.more], queue=False)
    unlock = dict(fn=lambda: [gr.update(interactive=True)] * 2, inputs=None, outputs=[ui.go, ui.more], queue=False)
    gen = dict(
        fn=run_generate,
        inputs=[
            ui.history,
            ui.arc_pts,  # a State, like history: the API's positional inputs are unchanged
            *ui.vad,
            ui.label,
            ui.what,
            ui.bars,
            ui.candidates,
            ui.rounds,
            ui.size,
            ui.style,
            ui.seed,
            ui.randomise,
            ui.temperature,
            ui.instrument,
            ui.key,
            ui.variations,
            ui.touched,
            *ui.fader_list,
        ],
        outputs=[
            ui.audio,
            ui.midi,
            ui.sidecar,
            ui.roll,
            ui.painting,
            ui.circ,
            ui.readout,
            ui.used_seed,
            ui.history,
            ui.shown,
            ui.table,
            ui.pick_a,
            ui.pick_b,
            ui.status,
            ui.audio_a,
            ui.audio_b,
        ],
        concurrency_id="generate",
        show_progress="full",
        show_progress_on=[ui.status],
    )
    run = ui.go.click(**lock).then(api_name="generate", **gen)
    run.then(**unlock)
    run.failure(**unlock)  # after an error too: Generate never stays locked
    more_run = ui.more.click(
        more_like_this, ui.shown, [*ui.fader_list, ui.touched, ui.kept_md, ui.seed, ui.randomise], queue=False
    )
    again = more_run.success(**lock).then(**gen)
    again.then(**unlock)
    again.failure(**unlock)
    ui.pick_a.input(pick_audio, [ui.pick_a, ui.history], ui.audio_a, queue=False)
    ui.pick_b.input(pick_audio, [ui.pick_b, ui.history], ui.audio_b, queue=False)


def _wire_tab_events(ui: SimpleNamespace) -> None:
    """The tabs' buttons."""
    ui.reaim_btn.click(
        reaim_midi,
        inputs=[ui.midi_in, *ui.vad, ui.label, ui.strength, ui.seed, ui.randomise],
        outputs=[ui.orig_audio, ui.re_audio, ui.re_midi, ui.re_roll, ui.re_json, ui.re_text],
        concurrency_id="generate",
        show_progress_on=[ui.re_status],
    )
    ui.photo_btn.click(
        paint_photo,
        inputs=[ui.photo_in, *ui.vad, ui.label, ui.size, ui.style, ui.seed, ui.randomise],
        outputs=[ui.photo_out, ui.photo_text],
        concurrency_id="generate",
    )


def launch(host: str = "127.0.0.1", port: int | None = None, concurrency: int = 2, **kw):
    from studio.api import configure_threads

    configure_threads()
    return build_demo(concurrency).launch(server_name=host, server_port=port, allowed_paths=[str(out_root())], **kw)


if __name__ == "__main__":
    launch()
