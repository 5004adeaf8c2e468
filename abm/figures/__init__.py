"""Research figures drawn from stored results (an `abm run` folder or an `abm sweep` store).

    data = load_figure_data("results/bifurcation")
    report = draw_figures(data, Path("figures"), formats=("pdf", "png"))

Each figure is one module with a `draw(data) -> Drawing` (the figure and what it left out)
that raises FigureError, naming what is missing, when the results cannot support it.
"""

from abm.lazy import make_lazy

__all__ = [
    "FIGURES",
    "Drawing",
    "FigureData",
    "FigureError",
    "Report",
    "draw_figure",
    "draw_figures",
    "load_figure_data",
    "render",
]

make_lazy(  # matplotlib loads with the first figure, not with `abm figures --help`
    __name__,
    {
        "FIGURES": "abm.figures.drawing",
        "Drawing": "abm.figures.style",
        "FigureData": "abm.figures.data",
        "FigureError": "abm.figures.data",
        "Report": "abm.figures.drawing",
        "draw_figure": "abm.figures.drawing",
        "draw_figures": "abm.figures.drawing",
        "load_figure_data": "abm.figures.data",
        "render": "abm.figures.drawing",
    },
)
