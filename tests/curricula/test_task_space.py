"""Task spaces: encode/decode round trips (property-based), membership, errors, enumeration."""

import itertools

import numpy as np
import pytest
from gymnasium import spaces
from hypothesis import given, settings
from hypothesis import strategies as st

from sf_curric.curricula import (
    BoxTaskSpace,
    DiscreteTaskSpace,
    MultiDiscreteTaskSpace,
    TaskSpace,
    TupleTaskSpace,
)
from sf_curric.curricula.task_space import as_task_space

# per-test settings (a loaded profile would change every other module's hypothesis tests too)
FAST = settings(max_examples=60, deadline=None)


@FAST
@given(n=st.integers(1, 500), data=st.data())
def test_discrete_round_trip(n, data):
    space = DiscreteTaskSpace(n)
    task = data.draw(st.integers(0, n - 1))
    code = space.encode(task)
    assert isinstance(code, int) and code == task
    assert space.decode(code) == task
    assert space.contains(task) and not space.contains(n) and not space.contains(-1)


@FAST
@given(names=st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=20, unique=True), data=st.data())
def test_discrete_named_round_trip(names, data):
    space = DiscreteTaskSpace(len(names), tasks=names)
    task = data.draw(st.sampled_from(names))
    assert space.decode(space.encode(task)) == task
    assert space.encode(task) == names.index(task)


@FAST
@given(nvec=st.lists(st.integers(1, 6), min_size=1, max_size=4), data=st.data())
def test_multidiscrete_round_trip_is_row_major(nvec, data):
    space = MultiDiscreteTaskSpace(nvec)
    task = tuple(data.draw(st.integers(0, n - 1)) for n in nvec)
    code = space.encode(task)
    assert code == int(np.ravel_multi_index(task, nvec))  # numpy's row-major index, computed independently
    assert space.decode(code) == task
    assert space.num_tasks == int(np.prod(nvec))


@FAST
@given(
    shape=st.sampled_from([(1,), (2,), (3,), (2, 2)]),
    bounds=st.tuples(st.floats(-100, 0), st.floats(0.001, 100)),
    data=st.data(),
)
def test_box_round_trip(shape, bounds, data):
    low, high = bounds
    space = BoxTaskSpace(spaces.Box(low, high, shape=shape, dtype=np.float64))
    n = int(np.prod(shape))
    values = data.draw(st.lists(st.floats(low, high), min_size=n, max_size=n))
    task = np.array(values).reshape(shape)
    code = space.encode(task)
    assert isinstance(code, np.ndarray)
    np.testing.assert_array_equal(space.decode(code), task)
    assert space.num_tasks is None and space.tasks is None


@FAST
@given(data=st.data())
def test_tuple_finite_round_trip(data):
    sizes = data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    space = TupleTaskSpace([spaces.Discrete(n) for n in sizes])
    task = tuple(data.draw(st.integers(0, n - 1)) for n in sizes)
    code = space.encode(task)
    assert isinstance(code, int) and code == int(np.ravel_multi_index(task, sizes))
    assert space.decode(code) == task
    assert space.tasks == list(itertools.product(*[range(n) for n in sizes]))


@FAST
@given(d=st.integers(0, 3), x=st.floats(-1, 1), y=st.floats(-1, 1))
def test_tuple_mixed_round_trip(d, x, y):
    space = TupleTaskSpace([spaces.Discrete(4), spaces.Box(-1, 1, shape=(2,))])
    code = space.encode((d, (x, y)))
    assert isinstance(code, np.ndarray) and code.shape == (3,)
    got = space.decode(code)
    assert got[0] == d
    np.testing.assert_array_equal(got[1], [x, y])
    assert space.num_tasks is None


@pytest.mark.parametrize(
    "space, bad",
    [
        (DiscreteTaskSpace(3), 3),
        (DiscreteTaskSpace(3, tasks=["a", "b", "c"]), "d"),
        (MultiDiscreteTaskSpace([2, 2]), (2, 0)),
        (MultiDiscreteTaskSpace([2, 2]), (0,)),
        (BoxTaskSpace(-0.3, 0.3, shape=(2,)), (0.0, 0.5)),
        (BoxTaskSpace(-0.3, 0.3, shape=(2,)), (0.0,)),
        (TupleTaskSpace([spaces.Discrete(2), spaces.Discrete(2)]), (0, 2)),
    ],
)
def test_task_outside_space_raises_naming_space_and_task(space, bad):
    assert not space.contains(bad)
    with pytest.raises(ValueError) as err:
        space.encode(bad)
    assert repr(space) in str(err.value) and repr(bad) in str(err.value)


def test_bad_encodings_raise():
    with pytest.raises(ValueError, match="not a valid encoding"):
        DiscreteTaskSpace(3).decode(7)
    with pytest.raises(ValueError, match="not a valid encoding"):
        MultiDiscreteTaskSpace([2, 3]).decode(6)


@pytest.mark.parametrize(
    "gym_space, cls, n",
    [
        (spaces.Discrete(200), DiscreteTaskSpace, 200),
        (spaces.MultiDiscrete([3, 4]), MultiDiscreteTaskSpace, 12),
        (spaces.Box(-0.3, 0.3, shape=(2,)), BoxTaskSpace, None),
        (spaces.Tuple([spaces.Discrete(2), spaces.Discrete(5)]), TupleTaskSpace, 10),
    ],
)
def test_gym_spaces_are_wrapped(gym_space, cls, n):
    space = as_task_space(gym_space)
    assert isinstance(space, cls) and isinstance(space, TaskSpace)
    assert space.num_tasks == n
    for _ in range(20):
        assert space.contains(space.sample())


def test_shorthands():
    assert isinstance(as_task_space(5), DiscreteTaskSpace) and as_task_space(5).num_tasks == 5
    assert isinstance(as_task_space((2, 3)), MultiDiscreteTaskSpace) and as_task_space((2, 3)).num_tasks == 6
    assert as_task_space(["a", "b"]).tasks == ["a", "b"]


def test_discrete_start_offset_is_kept():
    space = as_task_space(spaces.Discrete(3, start=5))
    assert space.tasks == [5, 6, 7] and space.encode(6) == 1 and space.decode(2) == 7


def test_seeded_sampling_is_reproducible():
    a, b = BoxTaskSpace(-1, 1, shape=(3,)), BoxTaskSpace(-1, 1, shape=(3,))
    a.seed(4)
    b.seed(4)
    np.testing.assert_array_equal(a.sample(), b.sample())
    t1, t2 = TupleTaskSpace([spaces.Discrete(9), spaces.Discrete(9)]), TupleTaskSpace([spaces.Discrete(9)] * 2)
    t1.seed(3)
    t2.seed(3)
    assert [t1.sample() for _ in range(5)] == [t2.sample() for _ in range(5)]


def test_unsupported_space_says_what_to_pass():
    with pytest.raises(TypeError, match="Discrete, MultiDiscrete, Box or Tuple"):
        as_task_space(spaces.Text(5))
