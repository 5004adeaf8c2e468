"""Every figure is a valid file with the same bytes on a second draw, hash in its metadata."""

import pytest

from abm.figures import FIGURES, draw_figure

SOURCES = {  # the fixture (tests/figures/conftest.py) each figure is drawn from
    "migration_timeline": "single",
    "fan_charts": "banded",
    "bifurcation": "single",
    "pivot_drivers": "banded",
    "security": "sobol",
    "phase_diagram": "sobol",
    "sensitivity": "sobol",
    "china_2021": "china",
}


def test_every_figure_has_a_source():
    assert sorted(SOURCES) == sorted(FIGURES)


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_each_figure_is_a_valid_file_with_the_same_bytes_on_a_second_draw(name, request, tmp_path):
    data = request.getfixturevalue(SOURCES[name])
    first, _ = draw_figure(data, name, tmp_path / "a", ("png", "pdf", "svg"))
    second, _ = draw_figure(data, name, tmp_path / "b", ("png", "pdf", "svg"))
    for a, b in zip(first, second, strict=True):
        content = a.read_bytes()
        assert len(content) > 2000, a
        assert content == b.read_bytes(), f"{a.name} differs between two draws"
    png, pdf, svg = (p.read_bytes() for p in first)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-64:]
    assert b"<svg" in svg[:2000]
    digest = data.experiment_hash.encode()
    assert digest in png and digest in pdf and digest in svg, "experiment hash in metadata"
