"""Plotly figure specs as plain dicts (the UI renders them; tools don't import plotly)."""

from __future__ import annotations

from typing import Any


def bar(title: str, x: list, y: list, *, y_title: str = "", name: str | None = None) -> dict[str, Any]:
    return {"data": [{"type": "bar", "x": list(x), "y": list(y), "name": name or y_title}],
            "layout": {"title": {"text": title}, "yaxis": {"title": {"text": y_title}}}}


def lines(title: str, x: list, series: dict[str, list], *, y_title: str = "") -> dict[str, Any]:
    return {"data": [{"type": "scatter", "mode": "lines+markers", "x": list(x), "y": list(y), "name": str(name)}
                     for name, y in series.items()],
            "layout": {"title": {"text": title}, "yaxis": {"title": {"text": y_title}}}}


def heatmap(title: str, x: list, y: list, z: list[list], *, z_title: str = "") -> dict[str, Any]:
    return {"data": [{"type": "heatmap", "x": list(x), "y": list(y), "z": z, "colorscale": "Blues",
                      "colorbar": {"title": {"text": z_title}}}],
            "layout": {"title": {"text": title}}}


def scatter(title: str, groups: dict[str, tuple[list, list]]) -> dict[str, Any]:
    return {"data": [{"type": "scattergl", "mode": "markers", "x": list(x), "y": list(y), "name": str(name),
                      "marker": {"size": 4}} for name, (x, y) in groups.items()],
            "layout": {"title": {"text": title}}}


def histogram(title: str, values: list, *, x_title: str = "") -> dict[str, Any]:
    return {"data": [{"type": "histogram", "x": list(values)}],
            "layout": {"title": {"text": title}, "xaxis": {"title": {"text": x_title}}}}
