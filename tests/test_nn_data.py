"""nn.data.batches: full batch, stochastic, minibatch; seeded shuffles; the global random state is never touched."""

import random

import pytest

from nn.data import batches, num_batches

X = [[float(i), float(-i)] for i in range(10)]
Y = list(range(10))


def test_none_is_one_full_batch_in_order():
    out = list(batches(X, Y, None))
    assert out == [(X, Y)]
    assert list(batches(X, Y, None, shuffle=True, seed=1)) == [(X, Y)]


def test_one_is_stochastic():
    out = list(batches(X, Y, 1, seed=3))
    assert len(out) == 10
    assert all(len(xb) == 1 and len(yb) == 1 for xb, yb in out)
    assert sorted(yb[0] for _, yb in out) == Y
    assert [yb[0] for _, yb in out] != Y  # shuffled (this seed does not give the identity)
    assert all(xb[0] == X[yb[0]] for xb, yb in out)  # pairs stay together


def test_minibatches_cover_the_data_once():
    out = list(batches(X, Y, 4, seed=0))
    assert [len(yb) for _, yb in out] == [4, 4, 2]
    assert sorted(t for _, yb in out for t in yb) == Y
    assert [len(yb) for _, yb in batches(X, Y, 4, seed=0, drop_last=True)] == [4, 4]
    assert [yb for _, yb in batches(X, Y, 4, shuffle=False)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert len(list(batches(X, Y, 50))) == 1
    assert [num_batches(10, b) for b in (None, 1, 3, 4, 10, 50)] == [1, 10, 4, 3, 1, 1]
    assert num_batches(10, 4, drop_last=True) == 2


def test_seeded_shuffles_are_reproducible():
    first = [yb for _, yb in batches(X, Y, 3, seed=42)]
    assert first == [yb for _, yb in batches(X, Y, 3, seed=42)]
    assert first != [yb for _, yb in batches(X, Y, 3, seed=43)]
    rng_a, rng_b = random.Random(5), random.Random(5)
    epoch1 = [yb for _, yb in batches(X, Y, 3, seed=rng_a)]
    epoch2 = [yb for _, yb in batches(X, Y, 3, seed=rng_a)]
    assert epoch1 != epoch2  # a Random instance continues its stream: a new order each epoch
    assert epoch1 == [yb for _, yb in batches(X, Y, 3, seed=rng_b)]


def test_global_random_state_is_never_touched():
    random.seed(2024)
    state = random.getstate()
    for seed in (None, 1, random.Random(3)):
        for size in (None, 1, 3):
            list(batches(X, Y, size, seed=seed))
    assert random.getstate() == state


@pytest.mark.parametrize("args, error, message", [
    ((X, Y[:3], None), ValueError, "X has 10 examples but y has 3"),
    (([], [], None), ValueError, "no examples"),
    ((X, Y, 0), ValueError, "batch_size must be None, 1 or a positive int, got 0"),
    ((X, Y, 2.5), TypeError, "batch_size must be None"),
    ((X, Y, True), TypeError, "batch_size must be None"),
    ((5, Y, None), TypeError, "X and y must be sequences"),
])
def test_bad_arguments_fail_at_call_time(args, error, message):
    with pytest.raises(error, match=message):
        batches(*args)


def test_bad_seed():
    with pytest.raises(TypeError, match="seed must be an int"):
        batches(X, Y, 2, seed="abc")
