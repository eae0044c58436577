"""Figures for the optimizer lab: a surface's contours or 3-D shape with the racers' paths on it,
loss per step, the step size each parameter actually got, and the 1-D ball-on-a-curve view.

Every function takes engine results (:class:`engine.surfaces.RaceResult`) and ``t``, the step the
animation has reached: paths are drawn up to ``t`` only.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.charts.theme import SERIES, style
from engine.optimizers import OPTIMIZERS
from engine.surfaces import RaceResult

COLOURS = dict(zip(OPTIMIZERS, SERIES))
SURFACE_SCALE = [[0.0, "#7f9fbf"], [0.35, "#c6d5e3"], [1.0, "#fbfbfb"]]  # low = dark valley
LOG_FLOOR = 1e-2


def shown_values(z: np.ndarray, log: bool) -> np.ndarray:
    """What the contour colours encode: f itself, or log10(f − min + 0.01) for steep surfaces."""
    return np.log10(z - np.nanmin(z) + LOG_FLOOR) if log else z


def _upto(result: RaceResult, r: int, t: int) -> tuple[np.ndarray, int | None]:
    """Positions of racer r up to step t and, if it has diverged by then, the step it did."""
    d = int(result.diverged_at[r])
    if 0 <= d <= t:
        return result.positions[r, :d], d
    return result.positions[r, :t + 1], None


def _paths(fig: go.Figure, result: RaceResult, t: int, colours: list[str], row=None, col=None,
           which=None, legend: bool = True) -> None:
    for r, label in enumerate(result.labels):
        if which is not None and r not in which:
            continue
        path, diverged = _upto(result, r, t)
        kw = dict(row=row, col=col) if row else {}
        name = label + (f" (diverged at step {diverged})" if diverged is not None else "")
        fig.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines+markers", name=name,
                                 line=dict(color=colours[r], width=3), marker=dict(size=4),
                                 legendgroup=label, showlegend=legend,
                                 hovertemplate=f"{label}<br>(%{{x:.3f}}, %{{y:.3f}})<extra></extra>"), **kw)
        end = path[-1]
        fig.add_trace(go.Scatter(x=[end[0]], y=[end[1]], mode="markers", showlegend=False, legendgroup=label,
                                 marker=dict(size=16 if diverged else 13, color=colours[r],
                                             symbol="x" if diverged else "circle",
                                             line=dict(color="black", width=1.5)),
                                 hovertemplate=(f"{label}: diverged at step {diverged}" if diverged else
                                                f"{label} at step {min(t, result.steps)}") + "<extra></extra>"),
                      **kw)
        if diverged is not None:
            fig.add_annotation(x=end[0], y=end[1], text=f"{label}: diverged", showarrow=True, arrowhead=2,
                               font=dict(color=colours[r], size=14), bgcolor="white", **({"row": row, "col": col} if row else {}))


def _marks(fig: go.Figure, minima, start, row=None, col=None, legend: bool = True) -> None:
    kw = dict(row=row, col=col) if row else {}
    m = np.asarray(minima, dtype=float).reshape(-1, 2)
    fig.add_trace(go.Scatter(x=m[:, 0], y=m[:, 1], mode="markers", name="known minima", showlegend=legend,
                             marker=dict(symbol="star", size=17, color="white", line=dict(color="black", width=1.5)),
                             hovertemplate="minimum (%{x:.3f}, %{y:.3f})<extra></extra>"), **kw)
    fig.add_trace(go.Scatter(x=[start[0]], y=[start[1]], mode="markers", name="start", showlegend=legend,
                             marker=dict(symbol="square", size=11, color="black"),
                             hovertemplate="start (%{x:.3f}, %{y:.3f})<extra></extra>"), **kw)


def contour(xs, ys, z, log: bool, result: RaceResult, t: int, colours: list[str], minima, start,
            axis_labels=("x", "y"), pickable: bool = False, title: str | None = None) -> go.Figure:
    """Contours of the surface with each racer's path up to step t."""
    fig = go.Figure(go.Contour(x=xs, y=ys, z=shown_values(z, log), colorscale=SURFACE_SCALE, ncontours=30,
                               showscale=False, line=dict(width=0.6, color="rgba(60,60,60,0.35)"),
                               hoverinfo="skip"))
    if pickable:  # a dense invisible grid: clicking any of it picks a new start point
        gx, gy = np.meshgrid(np.linspace(xs[0], xs[-1], 41), np.linspace(ys[0], ys[-1], 41))
        fig.add_trace(go.Scatter(x=gx.ravel(), y=gy.ravel(), mode="markers", name="pick", showlegend=False,
                                 marker=dict(size=12, color="rgba(0,0,0,0)"),
                                 hovertemplate="click to start here<br>(%{x:.2f}, %{y:.2f})<extra></extra>"))
    _marks(fig, minima, start)
    _paths(fig, result, t, colours)
    fig.update_xaxes(range=[xs[0], xs[-1]], title=axis_labels[0], showgrid=False)
    fig.update_yaxes(range=[ys[0], ys[-1]], title=axis_labels[1], showgrid=False)
    style(fig, title, height=450)
    # legend under the plot: in the top margin it ran under the chart's toolbar
    fig.update_layout(uirevision="contour", clickmode="event+select" if pickable else None,
                      legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="left", x=0),
                      margin=dict(b=110))  # below the x axis's title (at -0.13 it covered it)
    return fig


def surface_3d(xs, ys, z, log: bool, result: RaceResult, t: int, colours: list[str],
               axis_labels=("x", "y")) -> go.Figure:
    shown = shown_values(z, log)
    lift = 0.01 * (np.nanmax(shown) - np.nanmin(shown))
    zmin = np.nanmin(z)
    fig = go.Figure(go.Surface(x=xs, y=ys, z=shown, colorscale=SURFACE_SCALE, showscale=False, opacity=0.95,
                               hoverinfo="skip"))
    for r, label in enumerate(result.labels):
        path, diverged = _upto(result, r, t)
        losses = result.losses[r, :len(path)]
        inside = ((path[:, 0] >= xs[0]) & (path[:, 0] <= xs[-1]) & (path[:, 1] >= ys[0]) & (path[:, 1] <= ys[-1]))
        zz = (np.log10(losses - zmin + LOG_FLOOR) if log else losses) + lift
        zz = np.where(inside, zz, np.nan)  # off the drawn patch: leave a gap, not a line to infinity
        fig.add_trace(go.Scatter3d(x=path[:, 0], y=path[:, 1], z=zz, mode="lines+markers", name=label,
                                   line=dict(color=colours[r], width=6), marker=dict(size=2.5, color=colours[r])))
    fig.update_layout(scene=dict(xaxis_title=axis_labels[0], yaxis_title=axis_labels[1],
                                 zaxis_title="log₁₀(f − min + 0.01)" if log else "loss",
                                 camera=dict(eye=dict(x=1.5, y=-1.5, z=1.1))),
                      uirevision="surface3d")
    return style(fig, None, height=560)


def loss_curves(result: RaceResult, t: int, colours: list[str], min_value: float | None,
                legend: bool = False) -> go.Figure:
    """Loss per step (or the gap to the known minimum on a log axis)."""
    fig = go.Figure()
    gap = min_value is not None
    steps = np.arange(result.steps + 1)
    for r, label in enumerate(result.labels):
        path, diverged = _upto(result, r, t)
        y = result.losses[r, :len(path)] - (min_value if gap else 0.0)
        if gap:
            y = np.maximum(y, 1e-16)
        fig.add_trace(go.Scatter(x=steps[:len(path)], y=y, mode="lines", name=label,
                                 line=dict(color=colours[r], width=3)))
        if diverged is None:  # where it is now (also visible at step 0, before any line exists)
            fig.add_trace(go.Scatter(x=[len(path) - 1], y=[y[-1]], mode="markers", showlegend=False,
                                     marker=dict(size=9, color=colours[r]), hoverinfo="skip"))
        if diverged is not None:
            fig.add_trace(go.Scatter(x=[len(path) - 1], y=[y[-1]], mode="markers+text", showlegend=False,
                                     text=["diverged"], textposition="top center",
                                     marker=dict(symbol="x", size=14, color=colours[r]),
                                     textfont=dict(color=colours[r])))
    fig.update_xaxes(title="step", range=[0, max(result.steps, 1)])
    # on a log axis spanning less than a decade (step 0: one point each) Plotly labels every
    # digit (3 2 10² 9 8 7 ...); "D2" keeps the powers of ten and the 2s and 5s between them
    fig.update_yaxes(title="f − f(global minimum)" if gap else "loss", type="log" if gap else "linear",
                     exponentformat="power", **({"dtick": "D2"} if gap else {}))
    style(fig, "loss per step", height=450 if not legend else 380)
    fig.update_layout(showlegend=legend, margin=dict(t=90 if legend else 60))
    return fig


def step_sizes(result: RaceResult, t: int, colours: list[str], axis_labels=("x", "y")) -> go.Figure:
    """|Δp| / |g| per parameter: the learning rate each coordinate actually received."""
    eff = result.effective_step_size()
    fig = make_subplots(1, 2, subplot_titles=[f"along {axis_labels[0]}", f"along {axis_labels[1]}"],
                        shared_yaxes=True, horizontal_spacing=0.04)
    steps = np.arange(1, result.steps + 1)
    for r, label in enumerate(result.labels):
        n = min(t, result.steps)
        for c in range(2):
            fig.add_trace(go.Scatter(x=steps[:n], y=eff[r, :n, c], mode="lines", name=label, legendgroup=label,
                                     showlegend=c == 0, line=dict(color=colours[r], width=2.5)),
                          row=1, col=c + 1)
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_yaxes(title="effective learning rate |Δp|/|g|", row=1, col=1)
    fig.update_xaxes(title="step", range=[0, max(result.steps, 1)])
    style(fig, "step size each parameter got", height=360)
    fig.update_layout(showlegend=False, margin=dict(t=80))
    return fig


def learning_rate_grid(xs, ys, z, log: bool, result: RaceResult, t: int, colour: str, minima, start,
                       axis_labels=("x", "y")) -> go.Figure:
    """One small contour per learning rate, side by side."""
    n = len(result.labels)
    titles = []
    for r, label in enumerate(result.labels):
        d = int(result.diverged_at[r])
        titles.append(f"{label}<br><b>diverged at step {d}</b>" if 0 <= d <= t else label)
    fig = make_subplots(1, n, subplot_titles=titles, horizontal_spacing=0.03, shared_yaxes=True)
    shown = shown_values(z, log)
    for r in range(n):
        fig.add_trace(go.Contour(x=xs, y=ys, z=shown, colorscale=SURFACE_SCALE, ncontours=25, showscale=False,
                                 line=dict(width=0.5, color="rgba(60,60,60,0.35)"), hoverinfo="skip"),
                      row=1, col=r + 1)
        _marks(fig, minima, start, row=1, col=r + 1, legend=r == 0)
        _paths(fig, result, t, [colour] * n, row=1, col=r + 1, which={r}, legend=False)
    fig.update_xaxes(range=[xs[0], xs[-1]], showgrid=False, title=axis_labels[0])
    fig.update_yaxes(range=[ys[0], ys[-1]], showgrid=False)
    fig.update_yaxes(title=axis_labels[1], row=1, col=1)
    fig.update_annotations(font_size=15)
    style(fig, None, height=430)
    fig.update_layout(margin=dict(t=110))
    return fig


def ball_on_curve(xs: np.ndarray, f: np.ndarray, result: RaceResult, t: int, colours: list[str], y0: float,
                  axis_label: str = "x") -> go.Figure:
    """The 1-D picture: a ball per optimizer rolling down f(x, y0), every step a circle, with the
    slope (the gradient) it saw last drawn as a tangent."""
    fig = go.Figure(go.Scatter(x=xs, y=f, mode="lines", name=f"loss along {axis_label} (y = {y0:g})",
                               line=dict(color="#444", width=3)))
    span = xs[-1] - xs[0]
    lo, hi = float(np.nanmin(f)), float(np.nanmax(f))
    for r, label in enumerate(result.labels):
        path, diverged = _upto(result, r, t)
        losses = result.losses[r, :len(path)]
        fig.add_trace(go.Scatter(x=path[:, 0], y=losses, mode="markers", name=label, legendgroup=label,
                                 marker=dict(size=9, color=colours[r], opacity=0.45, line=dict(color="white", width=1)),
                                 hovertemplate=f"{label}<br>w = %{{x:.3f}}<br>loss = %{{y:.3f}}<extra></extra>"))
        x_now, f_now = path[-1, 0], losses[-1]
        fig.add_trace(go.Scatter(x=[x_now], y=[f_now], mode="markers", showlegend=False, legendgroup=label,
                                 marker=dict(size=22 if not diverged else 18, color=colours[r],
                                             symbol="x" if diverged else "circle",
                                             line=dict(color="black", width=2))))
        n = len(path) - 1
        if n < result.steps and not diverged:
            slope = result.grads[r, n, 0]
            half = 0.06 * span
            fig.add_trace(go.Scatter(x=[x_now - half, x_now + half], y=[f_now - slope * half, f_now + slope * half],
                                     mode="lines", showlegend=False, legendgroup=label,
                                     line=dict(color=colours[r], width=2, dash="dot"),
                                     hovertemplate=f"slope {slope:.3g}<extra></extra>"))
    pad = 0.08 * (hi - lo + 1e-9)
    fig.update_xaxes(range=[xs[0], xs[-1]], title=axis_label)
    fig.update_yaxes(range=[lo - pad, hi + pad], title="loss")
    return style(fig, None, height=460)
