"""The population draw's categorical sampler."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.agents.population import _Categorical

weights = st.lists(st.floats(0.0, 10.0), min_size=1, max_size=6).filter(lambda w: sum(w) > 0.01)


@settings(max_examples=60, deadline=None)
@given(weights=weights, seed=st.integers(0, 2**32 - 1))
def test_a_categorical_draw_is_rng_choice_with_the_same_uniform(weights, seed):
    """Same index as `rng.choice(k, p=w / sum(w))` for 50 draws, and the stream stays aligned."""
    ours, numpy = np.random.default_rng(seed), np.random.default_rng(seed)
    sampler, p = _Categorical(tuple(weights)), np.asarray(weights) / sum(weights)
    drawn = [sampler.draw(ours) for _ in range(50)]
    assert drawn == [int(numpy.choice(len(weights), p=p)) for _ in range(50)]
    assert ours.random() == numpy.random()


def test_categorical_frequencies_match_the_weights():
    """20,000 draws of weights (1, 3, 6): shares within 4 standard errors of 0.1, 0.3, 0.6."""
    rng, sampler, n = np.random.default_rng(7), _Categorical((1.0, 3.0, 6.0)), 20_000
    shares = np.bincount([sampler.draw(rng) for _ in range(n)], minlength=3) / n
    expected = np.array([0.1, 0.3, 0.6])
    assert np.all(np.abs(shares - expected) < 4 * np.sqrt(expected * (1 - expected) / n))
