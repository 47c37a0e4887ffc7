"""Build studio/assets/named_emotions.csv from the Glasgow Norms (Scott et al. 2019).

Each named emotion takes the valence/arousal/dominance means of a Glasgow word, rescaled
from the 1-9 rating scale to [-1, 1] as (x - 5) / 4. Where the emotion word itself is not
among the 5,553 normed words, a close morphological variant or a documented proxy word is
used; the `source_word` and `how` columns record which.

    python tools/build_named_emotions.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

# name -> (Glasgow word, how it relates); quadrant labels follow EMOPIA.
NAMED = {
    # EmoArt's 12 categories
    "excited": ("excited", "exact"),
    "happy": ("happy", "exact"),
    "aroused": ("aroused", "exact"),
    "alarmed": ("panic", "proxy"),
    "annoyed": ("annoying", "variant"),
    "frustrated": ("frustrated", "exact"),
    "sad": ("sad", "exact"),
    "bored": ("bored", "exact"),
    "tired": ("tired", "exact"),
    "calm": ("calm", "exact"),
    "content": ("content", "exact"),
    "glad": ("glad", "exact"),
    # circumplex and common words
    "tender": ("tender", "exact"),
    "furious": ("furious", "exact"),
    "serene": ("serene", "exact"),
    "melancholy": ("sorrow", "proxy"),
    "triumphant": ("triumphant", "exact"),
    "anxious": ("anxious", "exact"),
    "nostalgic": ("sentimental", "proxy"),
    "angry": ("angry", "exact"),
    "afraid": ("afraid", "exact"),
    "joyful": ("joyful", "exact"),
    "cheerful": ("cheerful", "exact"),
    "delighted": ("delighted", "exact"),
    "pleased": ("pleasure", "variant"),
    "relaxed": ("relaxing", "variant"),
    "sleepy": ("sleepy", "exact"),
    "depressed": ("depressed", "exact"),
    "gloomy": ("gloomy", "exact"),
    "miserable": ("miserable", "exact"),
    "tense": ("tense", "exact"),
    "nervous": ("nervous", "exact"),
    "upset": ("upset", "exact"),
    "distressed": ("distressed", "exact"),
    "astonished": ("astonished", "exact"),
    "elated": ("elated", "exact"),
    "peaceful": ("peaceful", "exact"),
    "lonely": ("lonely", "exact"),
    "hopeful": ("hopeful", "exact"),
    "romantic": ("romantic", "exact"),
    "playful": ("playful", "exact"),
    "dreamy": ("dream", "variant"),
    "mysterious": ("mystery", "variant"),
    "heroic": ("heroism", "variant"),
    "proud": ("proud", "exact"),
    "bitter": ("bitter", "exact"),
    "grieving": ("grief", "variant"),
    "terrified": ("terror", "variant"),
    "awed": ("awe", "variant"),
    "loving": ("love", "variant"),
    "hateful": ("hate", "variant"),
    "disgusted": ("disgust", "variant"),
    "surprised": ("surprise", "variant"),
    "blissful": ("bliss", "variant"),
    "lively": ("lively", "exact"),
    "aggressive": ("aggressive", "exact"),
    "gentle": ("gentle", "exact"),
    "tranquil": ("tranquil", "exact"),
    "satisfied": ("satisfied", "exact"),
    "ecstatic": ("ecstatic", "exact"),
    "enthusiastic": ("enthusiastic", "exact"),
    "weary": ("weary", "exact"),
    "exhausted": ("exhausted", "exact"),
    "wistful": ("wistful", "exact"),
    "pensive": ("pensive", "exact"),
    "dread": ("dread", "exact"),
    "confident": ("confident", "exact"),
    "powerful": ("powerful", "exact"),
    "determined": ("determined", "exact"),
    "timid": ("timid", "exact"),
    "helpless": ("helpless", "exact"),
    "solemn": ("solemn", "exact"),
    "warm": ("warm", "exact"),
}


def rescale(x: str) -> float:
    return round((float(x) - 5.0) / 4.0, 4)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "studio/assets/named_emotions.csv"))
    args = ap.parse_args()
    rows = {r["word"]: r for r in csv.DictReader(open(Path(args.data) / "glasgow/glasgow.csv", encoding="utf-8"))}
    out = Path(args.out)
    tmp = out.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        f.write("# Named emotions: Glasgow Norms (Scott et al. 2019, CC BY) means rescaled (x-5)/4 to [-1,1].\n")
        f.write("# Built by tools/build_named_emotions.py; source_word/how say which normed word was used.\n")
        w = csv.writer(f)
        w.writerow(["name", "valence", "arousal", "dominance", "source_word", "how"])
        for name, (src, how) in NAMED.items():
            r = rows[src]
            w.writerow(
                [name, rescale(r["valence_mean"]), rescale(r["arousal_mean"]), rescale(r["dominance_mean"]), src, how]
            )
    tmp.replace(out)
    print(f"wrote {len(NAMED)} named emotions to {out}")


if __name__ == "__main__":
    main()
