"""Plots, maps and the HTML report of a project: ``pr.plots``, ``pr.maps``, ``pr.report``.

matplotlib draws everything; the report and the pictures of the Prefect UI are made
without ``pyplot`` (see :mod:`._common`). Positions are the ``x``/``y`` metadata of
the series; there are no basemap tiles, so nothing is fetched from the internet.
"""

from pastas_projects.plotting.maps import Maps
from pastas_projects.plotting.plots import Plots
from pastas_projects.plotting.report import statistic_pictures, write_overview, write_report

__all__ = ["Maps", "Plots", "statistic_pictures", "write_overview", "write_report"]
