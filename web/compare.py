"""Compare two versions of a report: which passages differ.

Two passes, both on the index form (`indexer.normalize`, the one normalization path), so
a Traditional copy of a Simplified report differs only where its words differ, not in
every character:

1. paragraphs are aligned (difflib over the paragraphs' index forms);
2. inside a changed paragraph pair, characters are aligned, and the differing spans are
   mapped back through each version's offset map onto its own original text.

The result is a list of rows, each with the paragraph of version A and of version B (or
None where one side has no counterpart) as ``(text, marked)`` segments in that version's
own script: templates escape each segment; no markup is built here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher

from indexer.search.analysis import index_form_with_offsets

# A changed paragraph pair less similar than this is shown as one paragraph removed and
# another added (character marks over the whole paragraph say nothing).
MIN_PAIR_RATIO = 0.3
MAX_PARAGRAPHS = 2000


@dataclass
class Side:
    text: str
    norm: str
    offsets: list[int]

    @classmethod
    def of(cls, text: str) -> "Side":
        norm, offsets = index_form_with_offsets(text)
        return cls(text, norm, list(offsets))

    def segments(self, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
        """The original text split at the index-form `spans` (marked)."""
        out, pos = [], 0
        for a, b in spans:
            begin = max(self.offsets[a], pos)
            end = max(self.offsets[b - 1] + 1, self.offsets[b]) if b > a else begin
            if begin > pos:
                out.append((self.text[pos:begin], False))
            if end > begin:
                out.append((self.text[begin:end], True))
            pos = max(pos, end)
        if pos < len(self.text):
            out.append((self.text[pos:], False))
        return out


@dataclass
class Row:
    op: str  # equal | changed | removed | added
    a: list[tuple[str, bool]] | None
    b: list[tuple[str, bool]] | None

    def to_json(self) -> dict:
        def side(segs):
            return None if segs is None else {
                "text": "".join(t for t, _ in segs),
                "marked": [t for t, m in segs if m]}
        return {"op": self.op, "a": side(self.a), "b": side(self.b)}


@dataclass
class Comparison:
    rows: list[Row] = field(default_factory=list)
    truncated: bool = False

    @property
    def counts(self) -> dict[str, int]:
        out = {"equal": 0, "changed": 0, "removed": 0, "added": 0}
        for row in self.rows:
            out[row.op] += 1
        return out

    @property
    def identical(self) -> bool:
        return all(row.op == "equal" for row in self.rows)


def paragraphs(body: str) -> list[str]:
    return [p.strip() for p in (body or "").split("\n") if p.strip()]


def _char_spans(a: str, b: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Differing [start, end) spans of `a` and of `b` (index form)."""
    spans_a, spans_b = [], []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if i2 > i1:
            spans_a.append((i1, i2))
        if j2 > j1:
            spans_b.append((j1, j2))
    return spans_a, spans_b


def compare(body_a: str, body_b: str) -> Comparison:
    pa, pb = paragraphs(body_a), paragraphs(body_b)
    truncated = len(pa) > MAX_PARAGRAPHS or len(pb) > MAX_PARAGRAPHS
    sa = [Side.of(p) for p in pa[:MAX_PARAGRAPHS]]
    sb = [Side.of(p) for p in pb[:MAX_PARAGRAPHS]]
    result = Comparison(truncated=truncated)
    rows = result.rows

    def full(side: Side) -> list[tuple[str, bool]]:
        return side.segments([(0, len(side.norm))]) if side.norm else [(side.text, True)]

    matcher = SequenceMatcher(None, [s.norm for s in sa], [s.norm for s in sb], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows += [Row("equal", a.segments([]), b.segments([])) for a, b in zip(sa[i1:i2], sb[j1:j2])]
            continue
        left, right = sa[i1:i2], sb[j1:j2]
        # Pair the paragraphs of a changed block in order while they resemble each other.
        while left and right:
            a, b = left[0], right[0]
            if SequenceMatcher(None, a.norm, b.norm, autojunk=False).ratio() < MIN_PAIR_RATIO:
                # Not a pair: the one that resembles the other side's next paragraph
                # better stays; emit the other as removed/added.
                nxt_a = SequenceMatcher(None, a.norm, right[1].norm).ratio() if len(right) > 1 else 0
                nxt_b = SequenceMatcher(None, left[1].norm, b.norm).ratio() if len(left) > 1 else 0
                if nxt_a >= nxt_b and nxt_a >= MIN_PAIR_RATIO:
                    rows.append(Row("added", None, full(right.pop(0))))
                else:
                    rows.append(Row("removed", full(left.pop(0)), None))
                continue
            spans_a, spans_b = _char_spans(a.norm, b.norm)
            rows.append(Row("changed", a.segments(spans_a), b.segments(spans_b)))
            left.pop(0)
            right.pop(0)
        rows += [Row("removed", full(a), None) for a in left]
        rows += [Row("added", None, full(b)) for b in right]
    return result
