"""studio.limits.check_int: the one integer-in-range check every entry point uses."""

import numpy as np
import pytest

from studio.limits import MAX_BARS, check_int


def test_accepts_python_and_numpy_integers_in_range():
    assert check_int("bars", 16, 1, MAX_BARS) == 16
    assert type(check_int("bars", np.int64(MAX_BARS), 1, MAX_BARS)) is int


@pytest.mark.parametrize("bad", [True, 2.0, "4", None])
def test_a_non_integer_is_a_type_error_naming_the_range(bad):
    with pytest.raises(TypeError, match=rf"bars must be an integer in \[1, {MAX_BARS}\], got"):
        check_int("bars", bad, 1, MAX_BARS)


def test_out_of_range_is_a_value_error_naming_the_range_and_unit():
    with pytest.raises(ValueError, match=r"size must be an integer in \[64, 2048\] pixels, got 10$"):
        check_int("size", 10, 64, 2048, " pixels")


def test_every_entry_point_uses_it():
    import studio
    from studio.music.request import check_bars
    from studio.seeding import resolve_seed

    for call in (lambda: check_bars(0), lambda: resolve_seed(-1), lambda: studio.compose("calm", rounds=99)):
        with pytest.raises(ValueError, match=r"must be an integer in \["):
            call()
