"""Which script a text is written in: hans (Simplified), hant (Traditional) or mixed.

Counts the characters that exist in one script only, by OpenCC's tables:

- Simplified-only: OpenCC's Simplified→Traditional table always changes it (关→關), and no
  table ever gives it as a Traditional form (not a value of STCharacters, TWVariants or
  HKVariants, not a key of TSCharacters): so 台, 吃, 群, 里, which Traditional text in
  Taiwan and Hong Kong writes too, do not count;
- Traditional-only: the Traditional→Simplified table always changes it (關→关), and no
  table gives it as a Simplified form.

Characters valid in both scripts (干, 后, 于 …) mark nothing. The text is mixed when the
minority script holds at least `script_mixed_share` of the marked characters, otherwise
it is the majority's: a Traditional report with a stray 并 is hant, a Simplified one
quoting a Traditional name is hans.
"""
from __future__ import annotations

import functools

from ..normalize import opencc_characters
from ..settings import SETTINGS


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[frozenset[str], frozenset[str]]:
    """(Simplified-only characters, Traditional-only characters)."""
    st = opencc_characters("STCharacters.txt")
    ts = opencc_characters("TSCharacters.txt")
    traditional_forms = set(ts)
    simplified_forms = set(st)
    for values in st.values():
        traditional_forms.update(values)
    for table in (opencc_characters("TWVariants.txt"), opencc_characters("HKVariants.txt")):
        traditional_forms.update(table)  # OpenCC's Traditional -> the regional form
        for values in table.values():
            traditional_forms.update(values)
    for values in ts.values():
        simplified_forms.update(values)
    simplified_only = frozenset(k for k, v in st.items() if k not in v and k not in traditional_forms)
    traditional_only = frozenset(k for k, v in ts.items() if k not in v and k not in simplified_forms)
    return simplified_only, traditional_only


def script_counts(text: str) -> tuple[int, int]:
    """(Simplified-only characters, Traditional-only characters) in text."""
    hans, hant = _tables()
    s = t = 0
    for ch in text:
        if ch in hans:
            s += 1
        elif ch in hant:
            t += 1
    return s, t


def detect_script(text: str) -> str:
    s, t = script_counts(text)
    if min(s, t) >= SETTINGS.extract.script_mixed_share * (s + t) and min(s, t) > 0:
        return "mixed"
    return "hant" if t > s else "hans"
