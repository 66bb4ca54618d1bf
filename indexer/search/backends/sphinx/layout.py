"""Names and shapes shared by the cluster config, the writer and the reader.

Sphinx 2.2.11 cannot create indexes at runtime, so generations live in fixed *slots*:
every shard has one RT index per slot (``dangan_a_s0``, ``dangan_b_s0``, …), and node 0
has one distributed index per slot over that slot's shards (``dangan_a``, ``dangan_b``)
plus ``dangan_meta``, an RT index holding one record: which slot is current, its
generation number and a JSON note. Building a generation truncates the idle slot,
fills it, checks it, and flips the record: readers, which read the record with every
query, never see a half-built generation. The record is an RT document (binlog flushed
per write), so it is shared by every client and survives restarts.

Fields (full-text, whitespace-separated tokens made by our own analysis; see forms.py):
``title_c body_c unit_c`` character views; ``sec_<i>`` the body_c text inside sections of
kind SECTION_KINDS[i] (a section filter matches there); ``title_w body_w unit_w`` word
views; ``alld`` one token in every document (a query made only of exclusions needs a
positive part in Sphinx 2.2).
"""
from __future__ import annotations

from ...schema import SECTION_KINDS

PREFIX = "dangan"
SLOTS = ("a", "b")
META = f"{PREFIX}_meta"

CHAR_FIELDS = ("title_c", "body_c", "unit_c")
WORD_FIELDS = ("title_w", "body_w", "unit_w")
SECTION_FIELDS = tuple(f"sec_{i}" for i in range(len(SECTION_KINDS)))
ALL_FIELD = "alld"
ALL_TOKEN = "Z"  # uppercase: never produced by forms.encode for text
FIELDS = CHAR_FIELDS + SECTION_FIELDS + WORD_FIELDS + (ALL_FIELD,)

CODED = ("unit_type", "genre", "site", "script")
LENGTHS = tuple(f"len_{f}" for f in CHAR_FIELDS + WORD_FIELDS)
# (attribute, config directive). Coded facets are kept twice: the string (facet values)
# and a 63-bit hash (IN filters: Sphinx 2.2 has no OR in WHERE and no string IN).
ATTRS = (
    [("rid", "rt_attr_string"), ("ord", "rt_attr_bigint"), ("date", "rt_attr_uint"),
     ("year", "rt_attr_uint"), ("pdate", "rt_attr_uint"), ("pyear", "rt_attr_uint"), ("tyear", "rt_attr_uint"),
     ("grp", "rt_attr_bigint"), ("secs", "rt_attr_multi")]
    + [(f, "rt_attr_string") for f in CODED]
    + [(f"h_{f}", "rt_attr_bigint") for f in CODED]
    + [(f, "rt_attr_uint") for f in LENGTHS]
)

# Token alphabet (forms.encode): a..z, 0..9 and BMP CJK ideographs as themselves, A..Z
# (not folded) for escapes and markers.
CHARSET_TABLE = "0..9, a..z, A..Z, U+3400..U+4DBF, U+4E00..U+9FFF, U+F900..U+FAFF"


def shard_index(slot: str, shard: int) -> str:
    return f"{PREFIX}_{slot}_s{shard}"


def dist_index(slot: str) -> str:
    return f"{PREFIX}_{slot}"


def indexes_of_node(shard: int, head: bool) -> list[str]:
    names = [shard_index(slot, shard) for slot in SLOTS]
    if head:
        names += [META] + [dist_index(slot) for slot in SLOTS]
    return names
