"""Figures for the activation gallery, the pre-activation explorer and softmax."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.charts.theme import NEGATIVE, NEUTRAL, POSITIVE, SERIES, style


def _only_where(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``values`` where ``mask`` holds, NaN elsewhere: plotly draws it as separate segments."""
    return np.where(mask, values, np.nan)


def function_and_derivative(curves: dict[str, dict[str, np.ndarray]], x: np.ndarray,
                            show_saturation: bool = True) -> go.Figure:
    """Left: f(x); right: f'(x). ``curves[name]`` holds "y", "dy" and "saturated" arrays.

    Saturated stretches (slope nearly zero) are drawn as a wide translucent band over the curve.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=("activation f(x)", "slope f'(x)"),
                        horizontal_spacing=0.08)
    for i, (name, c) in enumerate(curves.items()):
        colour = SERIES[i % len(SERIES)]
        if show_saturation and c["saturated"].any():
            for col, values in ((1, c["y"]), (2, c["dy"])):
                fig.add_trace(go.Scatter(
                    x=x, y=_only_where(values, c["saturated"]), mode="lines", hoverinfo="skip",
                    line=dict(color=colour, width=14), opacity=0.25, legendgroup=name,
                    name="saturated (slope ≈ 0)", showlegend=(i == 0 and col == 1)), 1, col)
        fig.add_trace(go.Scatter(x=x, y=c["y"], name=name, line=dict(color=colour, width=3),
                                 legendgroup=name), 1, 1)
        fig.add_trace(go.Scatter(x=x, y=c["dy"], name=f"{name}'", showlegend=False,
                                 line=dict(color=colour, width=3, dash="dash"), legendgroup=name), 1, 2)
    if "sigmoid" in curves:
        fig.add_hline(y=0.25, line=dict(color=NEUTRAL, dash="dot"), row=1, col=2,
                      annotation_text="sigmoid' ≤ 0.25", annotation_position="top right")
    fig.update_xaxes(title_text="x", zeroline=True)
    return style(fig, height=460)


def preactivation_histogram(z: np.ndarray, dz: np.ndarray, name: str) -> go.Figure:
    """Histogram of pre-activations, split by whether a useful gradient flows back through them."""
    alive = dz > 1e-3 * max(dz.max(), 1e-12)
    fig = go.Figure()
    fig.add_trace(go.Histogram(x=z[alive], name="gradient flows", marker_color=POSITIVE,
                               opacity=0.8, nbinsx=50))
    fig.add_trace(go.Histogram(x=z[~alive], name="no gradient (dead / saturated)",
                               marker_color=NEGATIVE, opacity=0.8, nbinsx=50))
    fig.update_layout(barmode="overlay", xaxis_title=f"pre-activation z entering {name}",
                      yaxis_title="inputs")
    return style(fig, height=360)


def gradient_through_depth(peaks: dict[str, float], depth: int) -> go.Figure:
    """Best-case gradient factor after L layers: (max f')^L, on a log axis."""
    layers = np.arange(1, depth + 1)
    fig = go.Figure()
    for i, (name, peak) in enumerate(peaks.items()):
        fig.add_trace(go.Scatter(x=layers, y=np.power(peak, layers), name=name, mode="lines+markers",
                                 line=dict(color=SERIES[i % len(SERIES)], width=3)))
    fig.update_layout(xaxis_title="layers the gradient passes back through",
                      yaxis_title="largest possible gradient factor", yaxis_type="log")
    return style(fig, height=360)


def softmax_bars(labels: list[str], logits: np.ndarray, probs: np.ndarray, temperature: float) -> go.Figure:
    fig = make_subplots(rows=1, cols=2, subplot_titles=("logits z", f"softmax(z / T), T = {temperature:g}"),
                        horizontal_spacing=0.1)
    colours = [POSITIVE if v >= 0 else NEGATIVE for v in logits]
    fig.add_trace(go.Bar(x=labels, y=logits, marker_color=colours, showlegend=False,
                         text=[f"{v:.2f}" for v in logits], textposition="outside"), 1, 1)
    fig.add_trace(go.Bar(x=labels, y=probs, marker_color=POSITIVE, showlegend=False,
                         text=[f"{p:.3f}" for p in probs], textposition="outside"), 1, 2)
    fig.update_yaxes(range=[0, 1.15], row=1, col=2)
    return style(fig, height=380)
