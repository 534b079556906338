"""The index must be exact: every hash within the radius, and no other."""

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.hamming import HammingIndex, hamming_distance

hex256 = st.binary(min_size=32, max_size=32).map(bytes.hex)


def brute(bank: dict[int, str], query: str, radius: int) -> list[tuple[int, int]]:
    hits = [(pk, hamming_distance(value, query)) for pk, value in bank.items()]
    return sorted(((pk, d) for pk, d in hits if d <= radius), key=lambda x: (x[1], x[0]))


def near(value: str, flips: list[int]) -> str:
    number = int(value, 16)
    for bit in flips:
        number ^= 1 << bit
    return format(number, "064x")


@settings(max_examples=150, deadline=None)
@given(
    bank=st.lists(hex256, min_size=0, max_size=60),
    query=hex256,
    flips=st.lists(st.lists(st.integers(0, 255), max_size=40), max_size=10),
    radius=st.integers(0, 64),
)
def test_search_equals_brute_force(bank, query, flips, radius):
    values = dict(enumerate(bank))
    for i, f in enumerate(flips):  # plant hashes near the query, at every distance
        values[1000 + i] = near(query, f)
    index = HammingIndex()
    index.upsert(values.items())
    assert index.search(query, radius) == brute(values, query, radius)


@settings(max_examples=60, deadline=None)
@given(bank=st.lists(hex256, min_size=1, max_size=40, unique=True), data=st.data())
def test_updates_and_removals_keep_it_exact(bank, data):
    values = dict(enumerate(bank))
    index = HammingIndex()
    index.upsert(values.items())
    gone = data.draw(st.sets(st.sampled_from(sorted(values))))
    index.remove(gone)
    for pk in gone:
        del values[pk]
    changed = data.draw(st.dictionaries(st.sampled_from(sorted(values) or [0]), hex256, max_size=5))
    changed = {pk: v for pk, v in changed.items() if pk in values}
    index.upsert(changed.items())
    values.update(changed)
    query = data.draw(hex256)
    assert index.search(query, 128) == brute(values, query, 128)
    assert len(index) == len(values)


def test_distance_is_symmetric_popcount():
    a = "f" * 64
    assert hamming_distance(a, "0" * 64) == 256
    assert hamming_distance(a, near(a, [0, 100, 255])) == 3


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_merges_and_tombstones_keep_it_exact(data):
    """A tiny merge threshold forces base rebuilds between updates and removals."""
    index = HammingIndex(merge_fraction=0.1, min_merge=3)
    values: dict[int, str] = {}
    anchor = data.draw(hex256)
    for _ in range(data.draw(st.integers(1, 6))):
        batch = data.draw(st.dictionaries(st.integers(0, 80), st.lists(st.integers(0, 255), max_size=35), max_size=15))
        planted = {pk: near(anchor, flips) for pk, flips in batch.items()}
        index.upsert(planted.items())
        values.update(planted)
        gone = data.draw(st.sets(st.sampled_from(sorted(values)), max_size=5)) if values else set()
        index.remove(gone)
        for pk in gone:
            values.pop(pk)
        radius = data.draw(st.integers(0, 31))
        assert index.search(anchor, radius) == brute(values, anchor, radius)
        assert len(index) == len(values)


def test_bulk_build_then_search_many_is_exact():
    import numpy as np

    from matching.hamming import hexes_to_words

    rng = np.random.default_rng(7)
    bank = [rng.bytes(32).hex() for _ in range(5000)]
    queries = [near(bank[i], list(range(i % 32))) for i in range(0, 5000, 50)] + [rng.bytes(32).hex()]
    index = HammingIndex.build(np.arange(5000), hexes_to_words(bank))
    values = dict(enumerate(bank))
    assert index.search_many(queries, 31) == [brute(values, q, 31) for q in queries]


@settings(max_examples=60, deadline=None)
@given(
    flips=st.lists(st.lists(st.integers(0, 255), max_size=70), min_size=1, max_size=40),
    anchor=hex256,
    data=st.data(),
)
def test_bulk_built_base_with_tombstones_is_exact_at_any_radius(flips, anchor, data):
    """The base tables themselves (no delta): probes below radius 33, the scan above it,
    rows found through several chunks reported once, removed rows never."""
    import numpy as np

    from matching.hamming import hexes_to_words

    values = {pk: near(anchor, f) for pk, f in enumerate(flips)}
    index = HammingIndex.build(np.asarray(list(values)), hexes_to_words(list(values.values())))
    gone = data.draw(st.sets(st.sampled_from(sorted(values)), max_size=5))
    index.remove(gone)
    for pk in gone:
        del values[pk]
    radius = data.draw(st.integers(0, 80))
    assert index.search(anchor, radius) == brute(values, anchor, radius)


@settings(max_examples=40, deadline=None)
@given(
    flips=st.lists(st.lists(st.integers(0, 255), max_size=40), min_size=0, max_size=30),
    anchor=hex256,
    data=st.data(),
)
def test_mapped_snapshot_with_delta_is_exact(flips, anchor, data):
    """The path every process serves from: a base mapped read-only from a published snapshot
    file, plus the delta and tombstones of the changes since, against brute force."""
    import tempfile
    from pathlib import Path

    import numpy as np

    from matching import snapshot
    from matching.hamming import hexes_to_words

    values = {pk * 3 + 1: near(anchor, f) for pk, f in enumerate(flips)}
    built = HammingIndex.build(np.asarray(list(values), dtype=np.int64), hexes_to_words(list(values.values())))
    arrays, width = built.base_arrays()
    with tempfile.TemporaryDirectory() as tmp:
        path = snapshot.publish(Path(tmp), arrays, width=width, horizon=0.0)
        mapped = snapshot.open_snapshot(path)
        index = HammingIndex.from_arrays(mapped.arrays, mapped.width)
        gone = data.draw(st.sets(st.sampled_from(sorted(values)), max_size=5)) if values else set()
        index.remove(gone)
        for pk in gone:
            del values[pk]
        flip_lists = st.lists(st.integers(0, 255), max_size=40)
        changed = data.draw(st.dictionaries(st.integers(0, 120), flip_lists, max_size=8))
        index.upsert((pk, near(anchor, f)) for pk, f in changed.items())
        values.update({pk: near(anchor, f) for pk, f in changed.items()})
        radius = data.draw(st.integers(0, 80))
        assert index.search(anchor, radius) == brute(values, anchor, radius)
        assert len(index) == len(values)
        assert not mapped.arrays["ids"].flags.writeable  # shared pages are never written
