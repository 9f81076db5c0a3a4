"""How much of a report's text repeats another report: a unit's own report of the year before (a
common criticism of 年报 is that they are copied from last year's), or another unit's report of
the same year (a template passed around).

Text is compared sentence by sentence. Figures and years are masked first, so "2020年共收到申请
12件" repeats "2019年共收到申请9件": copying last year's text and changing its numbers is still
copying."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")
_FIGURE = re.compile(r"\d+(?:[.,，]\d+)*")
_NOISE = re.compile(r"[\s\u3000“”\"'‘’（）()【】《》、，,：:]")
MIN_SENTENCE = 12  # characters: shorter pieces (headings, "一是…") repeat in every report
LONGEST_SHOWN = 3


@dataclass(frozen=True)
class Reuse:
    """``share``: the part of the text (by characters of its sentences) found in the other text;
    ``passages``: the longest runs of consecutive repeated sentences, longest first."""

    share: float
    passages: tuple[str, ...] = ()


def sentences(text: str, common: Iterable[str] = ()) -> list[str]:
    """The text's sentences long enough to tell reports apart, as written, leaving out the
    form's own words (``common``: part headings, table labels), which every report repeats."""
    shared = {_key(unicodedata.normalize("NFKC", phrase)) for phrase in common}
    # a line break inside a sentence is only where a PDF or a web page wrapped it
    joined = "".join(line.strip() for line in unicodedata.normalize("NFKC", text).splitlines())
    pieces = (piece.strip() for piece in _SENTENCE_END.split(joined))
    return [piece for piece in pieces if len(_key(piece)) >= MIN_SENTENCE and _key(piece) not in shared]


def _key(sentence: str) -> str:
    return _FIGURE.sub("#", _NOISE.sub("", sentence))


def reuse(text: str, other: str, common: Iterable[str] = ()) -> Reuse:
    """How much of ``text`` repeats ``other`` (the form's own words, ``common``, left out)."""
    common = tuple(common)
    mine = sentences(text, common)
    if not mine:
        return Reuse(0.0)
    known = {_key(s) for s in sentences(other, common)}
    repeated = [_key(s) in known for s in mine]
    total = sum(len(_key(s)) for s in mine)
    share = sum(len(_key(s)) for s, hit in zip(mine, repeated, strict=True) if hit) / total
    return Reuse(share, _longest_runs(mine, repeated))


def _longest_runs(mine: Sequence[str], repeated: Sequence[bool]) -> tuple[str, ...]:
    runs: list[str] = []
    current: list[str] = []
    for sentence, hit in zip(mine, repeated, strict=True):
        if hit:
            current.append(sentence)
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return tuple(sorted(runs, key=len, reverse=True)[:LONGEST_SHOWN])


def most_alike(texts: dict[str, str], common: Iterable[str] = ()) -> dict[str, tuple[str, Reuse]]:
    """For each text, the other one it repeats most, and how much (texts with nothing in
    common with any other are left out). Sentences are indexed once, so many texts cost little
    more than reading them."""
    common = tuple(common)
    keys = {name: [_key(s) for s in sentences(text, common)] for name, text in texts.items()}
    holders: dict[str, set[str]] = {}
    for name, found in keys.items():
        for key in found:
            holders.setdefault(key, set()).add(name)
    alike = {}
    for name, found in keys.items():
        shared: dict[str, int] = {}
        for key in found:
            for other in holders[key] - {name}:
                shared[other] = shared.get(other, 0) + len(key)
        if shared:
            other = max(sorted(shared), key=lambda o: shared[o])
            alike[name] = (other, reuse(texts[name], texts[other], common))
    return alike
