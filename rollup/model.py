"""The few plain objects that travel between the pipeline's stages: what a file says
(``Submission``) and what the office decided about a finding (``Acceptance``)."""

from __future__ import annotations

import sys
from array import array
from collections.abc import ItemsView, Iterable, Iterator, Mapping, Sequence, ValuesView
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast, overload

from rollup.findings import Finding, Severity
from rollup.forms import Number


@dataclass(frozen=True)
class Constituent:
    """A unit inside a consolidation sent up as a submission (a county's workbook names the
    units it summed, so the level above can tell where a figure comes from)."""

    name: str
    values: Mapping[str, Number]


@dataclass(frozen=True)
class Submission:
    """What one file says: the unit's values in canonical cell codes, and what went wrong
    reading and checking it."""

    file: Path
    unit: str | None = None
    year: int | None = None
    edition: str | None = None
    values: Mapping[str, Number] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    # Cells read as 0 that were not written as a number: "blank" (left empty) or
    # "not_applicable" ("-", "—", "/", "无"); zero, blank and not applicable stay distinguishable.
    marks: dict[str, str] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    unit_id: str | None = None
    modified: float = 0.0
    text: str = ""  # a report's words outside its tables (empty for a fill-in workbook)
    constituents: tuple[Constituent, ...] = ()  # the units a consolidated workbook summed
    # The hash and size of the bytes that were read: what the ledger keys the submission on.
    # None when nothing may be recorded (not a file, or changed while it was being read).
    sha256: str | None = None
    size: int | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.is_error]

    @property
    def has_errors(self) -> bool:
        return any(f.is_error for f in self.findings)

    @property
    def explanation(self) -> str | None:
        """The unit's own words about its figures (the template's 说明 sheet)."""
        return self.meta.get("explanation") or None

    @classmethod
    def refused(cls, path: Path, rule: str, *, detail: str | None = None, **words: Any) -> Submission:
        """A file that could not be read at all: no values, one error naming the file."""
        finding = Finding.of(rule, file=path.name, source=path.name, detail=detail, **words)
        try:
            modified = path.lstat().st_mtime
        except OSError:
            modified = 0.0
        return cls(file=path, findings=(finding,), modified=modified)

    def identified(self, sha256: str, size: int) -> Submission:
        """The submission keyed on the hash of the bytes it was read from."""
        return replace(self, sha256=sha256, size=size)

    def moved(self, path: Path, modified: float) -> Submission:
        """The reading of a copy, told as the reading of the file at ``path``."""
        return replace(self, file=path, modified=modified)

    def with_findings(self, findings: Iterable[Finding]) -> Submission:
        return replace(self, findings=self.findings + tuple(findings))

    def record(self) -> dict[str, Any]:
        """The submission as plain JSON-ready data (what the ledger keeps of a reading). Built
        field by field: ``dataclasses.asdict`` deep-copies every figure, thousands of times a run."""
        return vars(self) | {
            "file": str(self.file),
            "values": dict(self.values.items()),
            "findings": [vars(f) for f in self.findings],
            "constituents": [{"name": c.name, "values": dict(c.values.items())} for c in self.constituents],
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Submission:
        """The submission ``record`` describes (the inverse of ``record``)."""
        return cls(
            **record
            | {
                "file": Path(record["file"]),
                "findings": tuple(Finding(**f | {"severity": Severity(f["severity"])}) for f in record["findings"]),
                "constituents": tuple(Constituent(**c) for c in record["constituents"]),
            }
        ).compact()

    def compact(self) -> Submission:
        """The same submission, holding its cell codes once for every submission, its figures
        as ``Figures``, and its sources once for every submission of the same template. A
        reading arrives with strings of its own (unpickled from a reader, decoded from the
        ledger): held as they come, a province's thousands of readings take five times the memory."""
        return replace(
            self,
            values=_compact_figures(self.values),
            notes=_coded(self.notes),
            marks=_coded(self.marks),
            sources=_shared_sources(self.sources),
            constituents=tuple(replace(c, values=_compact_figures(c.values)) for c in self.constituents),
        )


def _coded(cells: dict[str, Any]) -> dict[str, Any]:
    return {sys.intern(code): value for code, value in cells.items()} if cells else cells


_LAYOUTS = 64  # templates (sources) and sets of codes (figures) held once; more is a hostile inbox, held as they come
_SOURCES: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
_CODES: dict[tuple[str, ...], tuple[tuple[str, ...], dict[str, int]]] = {}

_T = TypeVar("_T")


class Figures(Mapping[str, Number]):
    """A unit's figures by cell code, read like a dict and held in a fraction of its memory:
    the codes once for every Figures with the same codes in the same order, the figures in a
    machine array when all are integers that fit one. Held as dicts, 20,000 units' figures
    were the largest thing a run held. Immutable: a changed figure is a new Figures. As a dict:
    ``dict(figures.items())`` (``dict(figures)`` is right too, but looks every code up in Python)."""

    __slots__ = ("_codes", "_index", "_numbers", "_odd")
    _codes: tuple[str, ...]
    _index: dict[str, int]  # code -> position in _numbers, shared like _codes
    _numbers: array[int] | tuple[Number, ...]
    # the few figures that are no integer (an amount in 万元 with decimals), by position, with
    # 0 in their place in the array: one such figure made all of a unit's figures objects
    _odd: dict[int, Number]

    def __init__(self, cells: Mapping[str, Number] | Iterable[tuple[str, Number]] = ()) -> None:
        cells = dict(cells.items() if isinstance(cells, Mapping) else cells)
        self._codes, self._index = _layout(tuple(cells))
        self._numbers, self._odd = _numbers(cells.values())

    def __getitem__(self, code: str) -> Number:
        at = self._index[code]
        return self._odd[at] if self._odd and at in self._odd else self._numbers[at]

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)

    def __contains__(self, code: object) -> bool:
        return code in self._index

    @property
    def integers(self) -> bool:
        """Whether every figure is an integer of 64 bits (what SQLite holds as it is)."""
        return isinstance(self._numbers, array) and not self._odd

    def irregular(self) -> list[tuple[str, Number]]:
        """The figures that are not whole numbers of zero or more, by code, in order: only these
        can break a cell's kind (a count, an amount, a change that may be negative)."""
        if not isinstance(self._numbers, array):
            return list(self.items())
        positions = set(self._odd)
        if min(self._numbers, default=0) < 0:
            positions.update(at for at, figure in enumerate(self._numbers) if figure < 0)
        return [(self._codes[at], self._odd.get(at, self._numbers[at])) for at in sorted(positions)]

    def _every(self) -> Sequence[Number]:
        """The figures in the order of the codes."""
        if not self._odd:
            return self._numbers
        every = list(self._numbers)
        for at, figure in self._odd.items():
            every[at] = figure
        return every

    @overload
    def get(self, code: str, /) -> Number | None: ...
    @overload
    def get(self, code: str, default: Number, /) -> Number: ...
    @overload
    def get(self, code: str, default: _T, /) -> Number | _T: ...
    def get(self, code: str, default: object = None, /) -> object:
        at = self._index.get(code)
        return default if at is None else self[code]

    # what validation and aggregation walk, thousands of times a run: pairs zipped in C, not
    # a look-up per code as the Mapping mixins do
    def items(self) -> ItemsView[str, Number]:
        return _Items(self)

    def values(self) -> ValuesView[Number]:
        return _Values(self)

    def __eq__(self, other: object) -> bool:
        # units' figures are compared for copies: held alike, compared without building dicts
        if (
            isinstance(other, Figures)
            and other._codes is self._codes
            and type(other._numbers) is type(self._numbers)
            and not (self._odd or other._odd)
        ):
            return self._numbers == other._numbers
        return super().__eq__(other)

    def __repr__(self) -> str:
        return repr(dict(self.items()))

    def __reduce__(self) -> tuple[type[Figures], tuple[dict[str, Number]]]:
        return Figures, (dict(self.items()),)


class _Items(ItemsView[str, Number]):
    __slots__ = ()
    _mapping: Figures

    def __iter__(self) -> Iterator[tuple[str, Number]]:
        return zip(self._mapping._codes, self._mapping._every(), strict=True)


class _Values(ValuesView[Number]):
    __slots__ = ()
    _mapping: Figures

    def __iter__(self) -> Iterator[Number]:
        return iter(self._mapping._every())


def _layout(codes: tuple[str, ...]) -> tuple[tuple[str, ...], dict[str, int]]:
    found = _CODES.get(codes)
    if found is None:
        held = tuple(sys.intern(code) for code in codes)
        found = held, {code: at for at, code in enumerate(held)}
        if len(_CODES) < _LAYOUTS:
            _CODES[held] = found
    return found


def _numbers(figures: Iterable[Number]) -> tuple[array[int] | tuple[Number, ...], dict[int, Number]]:
    """The figures as a machine array and the few odd ones beside it (see ``Figures._odd``), or,
    when too many are odd or an integer is beyond 64 bits, as they are."""
    numbers = tuple(figures)
    # exactly int: a bool or a float would come back as an int
    odd = {at: n for at, n in enumerate(numbers) if type(n) is not int}
    if len(odd) > _MOST_ODD:
        return numbers, {}
    whole = cast(tuple[int, ...], tuple(0 if at in odd else n for at, n in enumerate(numbers)) if odd else numbers)
    # in the narrowest machine integer that holds them all: a form's counts mostly fit in two
    # bytes, a quarter of a province's figures' memory at eight
    widest = max(-min(whole, default=0), max(whole, default=0))
    try:
        return array(next((code for code, top in _NARROW if widest < top), "q"), whole), odd
    except OverflowError:
        return numbers, {}


_NARROW = (("h", 2**15), ("i", 2**31))
_MOST_ODD = 8  # more, and a dict of them is larger than the figures held as objects


def _compact_figures(figures: Mapping[str, Number]) -> Mapping[str, Number]:
    """``figures`` as Figures, unless their codes would need a layout of their own once the
    layouts held are full: a Figures with its own codes and index is larger than the dict."""
    if not figures or isinstance(figures, Figures):
        return figures
    if len(_CODES) < _LAYOUTS or tuple(figures) in _CODES:
        return Figures(figures)
    return _coded(dict(figures.items()))


def _shared_sources(sources: dict[str, str]) -> dict[str, str]:
    if not sources:
        return sources
    layout = tuple(sources.items())
    found = _SOURCES.get(layout)
    if found is None:
        found = {sys.intern(code): sys.intern(source) for code, source in sources.items()}
        if len(_SOURCES) < _LAYOUTS:
            _SOURCES[layout] = found
    return found


@dataclass(frozen=True)
class Acceptance:
    """The office accepted a finding (by rule id or by cell code) of one unit, with a reason.
    ``figures`` are what it refers to when accepted (each covered finding's place with its
    expected and actual figures, and for a cell its value): it lapses when they change."""

    unit_id: str
    target: str
    reason: str
    accepted_at: datetime
    figures: tuple[tuple[str, str], ...] = ()
