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
