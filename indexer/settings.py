"""Every tunable number of Dang'an in one place: thresholds, budgets, limits.

One frozen dataclass per part (extraction, per-page budgets, index, server), gathered in
`Settings`. `SETTINGS` is read once at import; a field can be overridden from the
environment as ``DANGAN_<FIELD NAME IN UPPER CASE>`` (e.g. ``DANGAN_SEGMENT_CHARS=4000000``,
``DANGAN_PAGE_TIMEOUT_S=30``). Field names are therefore unique across the groups.

Code reads ``SETTINGS.<group>.<field>``; tests that need other values build their own
``Settings`` (``dataclasses.replace``) or set the environment before the import, never a
module constant of their own.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExtractSettings:
    """Thresholds of the extraction passes (indexer/extract/)."""

    # --- decode: codec choice and binary/undecodable input (decode.py)
    meta_scan_bytes: int = 16_384  # bytes at the start of a page searched for <meta charset>
    max_inflated_bytes: int = 20 * 1024 * 1024  # a gzip-compressed page may inflate to this much
    binary_sample_bytes: int = 65_536  # bytes sampled to tell a binary file from text
    max_control_share: float = 0.01  # control bytes beyond this share make a file binary
    max_replacement_share: float = 0.001  # undecodable bytes a declared codec may leave (a truncated page)
    min_plausible_share: float = 0.85  # share of everyday characters among the ideographs of a right reading
    min_readable_share: float = 0.6  # below this share no codec reads the bytes (random data): undecodable
    min_judged_ideographs: int = 50  # ideographs needed before the shares above are judged
    min_valid_utf8_share: float = 0.5  # share of non-ASCII bytes in valid UTF-8 for a damaged UTF-8 page

    # --- mojibake: garbled spans inside a decoded page (mojibake.py)
    mojibake_max_shift: int = 3  # leading bytes dropped to realign a shifted span
    mojibake_context_after: int = 8  # characters after a span re-read with it
    mojibake_context_before: int = 4  # characters before a span re-read with it
    mojibake_gap: int = 4  # odd characters this close belong to one span
    mojibake_min_odd: float = 1.5  # evidence weight of a span worth a repair attempt
    mojibake_min_drop: float = 2.5  # evidence weight needed to drop a span no round trip explains
    mojibake_certain_weight: float = 3.0  # weight of ASCII debris that is garbage wherever it stands
    mojibake_max_span_chars: int = 60  # a longer run of odd characters is another script
    mojibake_max_spans: int = 100  # more suspicious spans on a page: its own script, left alone
    mojibake_min_natural: float = 0.6  # share of a repair in dictionary word pairs
    mojibake_common_single_freq: int = 20_000  # jieba frequency of a character common as a word of its own
    mojibake_line_scan: int = 4000  # characters either side of a span considered
    mojibake_min_hits: int = 3  # ideographs in word pairs a repair needs

    # --- main block of an HTML page (chrome_html.py)
    max_link_density: float = 0.3  # a paragraph more linked than this weighs nothing
    main_block_share: float = 0.8  # descend into the child holding this share of the text
    dominant_share: float = 0.6  # ... or this share when the rest is chatter (short paragraphs)
    chatter_mean_ratio: float = 0.5  # chatter: paragraphs shorter than this part of the best child's
    lone_paragraph_share: float = 0.9  # a sibling is a lone paragraph when this much of it is prose
    heading_similarity: float = 0.6  # an h1-h3 this close to <title> (bigram F1) is the main heading
    title_line_similarity: float = 0.9  # a plain line this close to <title> is the heading too
    plain_min_lines: int = 8  # a page without prose is a document with this many plain lines
    plain_min_cjk: int = 150  # ... and this many Chinese characters in them
    thread_min_stamps: int = 3  # dated bylines that make a thread of comments
    thread_paragraphs_per_stamp: int = 3  # a thread has a byline for at most this many paragraphs
    thread_article_cjk: int = 100  # prose beside a thread that makes it an article's comments
    max_tag_chars: int = 8192  # a longer start tag keeps only its first attributes (parser bomb)
    max_tag_attributes: int = 64  # attributes such a tag keeps

    # --- line selection, HTML blocks and text-dump lines alike (chrome_lines.py)
    repeat_similarity: float = 0.7  # bigram F1 at which two lines are one title spelt twice
    link_line_density: float = 0.5  # a line this linked is a link, unless it reads as text
    max_prose_link_density: float = 0.7  # a sentence more linked than this is a link
    min_body_cjk: int = 60  # less prose than this is no report (a chrome-only page)

    # --- script (script.py): mixed when the minority script holds this share of the
    # characters that exist in one script only (a stray leftover character is not enough)
    script_mixed_share: float = 0.02


@dataclass(frozen=True)
class BudgetSettings:
    """Hard limits per input page, in `dangan extract` and `dangan index build` alike."""

    # Wall time for one page's extraction and analysis; a worker over it is killed and
    # the page becomes a `timeout` skip. Normal pages take milliseconds, 5 MB about 10 s.
    page_timeout_s: float = 120.0
    # Growth of a worker's address space allowed for one page (RLIMIT_AS over its size
    # at start); past it the page becomes a `too_large` skip.
    page_memory_mb: int = 1024
    # Pages (files, zip members, WARC records) above this are skipped unread (`too_large`).
    page_max_bytes: int = 20 * 1024 * 1024


@dataclass(frozen=True)
class IndexSettings:
    """Index building and query execution (indexer/search/)."""

    # A writer starts a new segment when it holds this many characters of key text (a
    # segment's character view is sorted in memory when written: ~25 bytes a character).
    segment_chars: int = 8_000_000
    # Decoded posting arrays kept per generation, in MiB (an LRU).
    term_cache_mb: int = 1024
    # Of that cache, how much `Index.warm` (a server's start, each swapped-in generation)
    # fills with the body's most frequent tokens' positions, decoded before the first
    # query needs them (the common bigrams every long phrase touches); 0: none.
    warm_postings_mb: int = 256
    # Merge walks over sorted positions (kernels.py) compiled with numba: loaded by a
    # server's warm-up, else by the first walk over this many positions; off: numpy only.
    compiled_kernels: bool = True
    kernel_min_elements: int = 2_000_000
    # A query's word scores (the word view's BM25) look up only the matched reports in a
    # word's list when the list holds this many times more reports; else the whole list.
    word_score_lookup_ratio: int = 4
    # The section facet looks at the sections of the reports it counts (matched, among
    # the other selections) only when they are fewer than 1/this of the index; else it
    # walks every section range once and caches the result for later queries.
    section_candidate_ratio: int = 8
    # `index update` refuses (without --force) to delete more than this share of the
    # index's reports: a truncated archive or an unmounted folder looks like deletions.
    max_delete_share: float = 0.5
    # A writer lock held on behalf of a dead process (by its dying workers) is waited
    # for this long before giving up.
    lock_stale_wait_s: float = 10.0
    # Build processes (main, page workers, segment writers) give blocks of this many KiB
    # and more back to the system when freed (glibc's mmap and trim thresholds), instead
    # of letting glibc raise the threshold to the largest page seen: pages of every size
    # passing through the main process fragmented its heap, which grew with the number
    # of pages (5k pages: 360 -> 415 MB; with 256: flat at 330). 0: glibc's default.
    build_heap_release_kb: int = 256
    # Characters of a report's text per compressed block of the document store: a
    # snippet decompresses the one or two blocks its window lies in.
    store_block_chars: int = 1024
    # zlib level of those blocks: 3 writes them ~3x faster than 6 for ~4% more bytes
    # (measured on 1,600 generated reports); reading is the same speed at any level.
    store_zlevel: int = 3
    # Query expansion (regional wording, synonyms): alternatives per typed term, and the
    # weight of an alternative's score next to what was typed.
    max_expansions: int = 8
    alternative_weight: float = 0.8
    # Relaxation ladder: punctuation characters allowed between two characters of a phrase
    # (second step), and how far apart the words of a phrase may be (third step: the
    # phrase's length plus this many characters).
    loose_max_gap: int = 3
    near_slack: int = 12
    # Longest phrase (characters) the punctuation step is tried on, and most words the
    # near step checks: longer ones go on to the next step (bounded query time).
    loose_max_chars: int = 48
    near_max_words: int = 12
    # Did-you-mean: offered when what was typed finds fewer reports than this; at most
    # this many candidate corrections are tried against the index per query.
    suggest_below: int = 3
    suggest_candidates: int = 8
    # Cluster backend (indexer/search/backends/sphinx): connection and query time limits,
    # the most matches one query may rank exactly (over it the query fails with a message),
    # and the documents sent per INSERT.
    engine_connect_timeout_s: float = 2.0
    engine_query_timeout_s: float = 30.0
    engine_write_timeout_s: float = 600.0  # one INSERT batch (the engine is slow on long reports)
    engine_max_matches: int = 200_000
    engine_max_facet_values: int = 5_000  # distinct values one facet may list
    engine_insert_batch: int = 200


@dataclass(frozen=True)
class ServeSettings:
    """`dangan serve` (waitress) and the web layer (web/, indexer/curation/)."""

    # waitress: worker threads; open connections before new ones wait in the listen
    # backlog; seconds an idle connection is kept (and how often that is checked). Idle
    # or slow clients are a reverse proxy's job in front of a public server (README).
    threads: int = 8
    connection_limit: int = 1000
    channel_timeout_s: int = 30
    cleanup_interval_s: int = 10
    # The proxy's address when behind a reverse proxy (X-Forwarded-* are trusted from it
    # only), and how many proxies (waitress' trusted_proxy_count).
    trusted_proxy: str = ""
    trusted_proxy_count: int = 1
    # The site's public base URL ("https://dangan.example.org"): absolute links in
    # OpenSearch, Atom feeds and citations. Never taken from the Host header; `dangan
    # serve` uses http://HOST:PORT when unset.
    public_url: str = ""
    # Session signing key: DANGAN_SECRET_KEY, else a file (mode 0600) named by
    # DANGAN_SECRET_KEY_FILE, else `<database>.secret` created with mode 0600.
    secret_key: str = field(default="", repr=False)
    secret_key_file: str = ""
    max_upload_mb: int = 2
    # Bounds of a search request: the last page, values of one facet parameter.
    max_page: int = 1000
    max_facet_values: int = 20
    export_max_rows: int = 10_000  # /search.csv, /search.jsonl
    feed_entries: int = 50  # /search.atom
    bulk_add_max: int = 500  # "add all results" to a collection
    admin_skips_per_page: int = 100
    # Login throttling: failures within the window lock an account (from clients it
    # does not know) or a client address for the lock time; a browser that logged in to
    # the account before (device cookie) has its own counter instead.
    login_max_failures: int = 5
    login_address_failures: int = 20
    login_window_s: int = 900
    login_lock_s: int = 900

    # Server processes sharing the port (0: one per CPU), each with `threads` threads:
    # one process runs one search at a time for most of its length (the interpreter
    # lock), so cores need processes.
    serve_processes: int = 0


@dataclass(frozen=True)
class Settings:
    extract: ExtractSettings = field(default_factory=ExtractSettings)
    budgets: BudgetSettings = field(default_factory=BudgetSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    serve: ServeSettings = field(default_factory=ServeSettings)


def _from_env(group, environ) -> object:
    changes = {}
    for f in dataclasses.fields(group):
        raw = environ.get("DANGAN_" + f.name.upper())
        if raw in (None, ""):
            continue
        kind = type(getattr(group, f.name))
        try:
            changes[f.name] = (raw.lower() in ("1", "true", "yes", "on")) if kind is bool else kind(raw)
        except ValueError as exc:
            raise ValueError(f"DANGAN_{f.name.upper()}={raw!r}: not a {kind.__name__}") from exc
    return dataclasses.replace(group, **changes) if changes else group


def load(environ=None) -> Settings:
    """Defaults, overridden by DANGAN_<FIELD> variables of `environ` (os.environ)."""
    environ = os.environ if environ is None else environ
    base = Settings()
    return Settings(**{f.name: _from_env(getattr(base, f.name), environ) for f in dataclasses.fields(base)})


SETTINGS = load()
