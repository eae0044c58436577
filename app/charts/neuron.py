"""Figures for the perceptron: its decision line over the truth table, and its learning curves."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.charts.theme import DIVERGING_SCALE, NEGATIVE, POSITIVE, SERIES, style
from engine.neuron import PerceptronSnapshot


def decision_plane(snap: PerceptronSnapshot, title: str) -> go.Figure:
    """The 2-input truth table with the perceptron's regions (blue: outputs 1) and its line."""
    lo, hi = -0.5, 1.5
    grid = np.linspace(lo, hi, 41)  # the region is a half-plane: a coarse grid draws it
    gx, gy = np.meshgrid(grid, grid)
    w, b = snap.weights, snap.bias
    score = w[0] * gx + w[1] * gy + b
    fig = go.Figure()
    fig.add_trace(go.Heatmap(x=grid, y=grid, z=(score >= 0).astype(float), colorscale=DIVERGING_SCALE,
                             zmin=-0.3, zmax=1.3, showscale=False, opacity=0.35, hoverinfo="skip"))
    if abs(w[1]) > 1e-12:
        xs = np.array([lo, hi])
        fig.add_trace(go.Scatter(x=xs, y=-(w[0] * xs + b) / w[1], mode="lines", name="w·x + b = 0",
                                 line=dict(color="black", width=3)))
    elif abs(w[0]) > 1e-12:
        fig.add_trace(go.Scatter(x=[-b / w[0]] * 2, y=[lo, hi], mode="lines", name="w·x + b = 0",
                                 line=dict(color="black", width=3)))
    right = snap.predictions == snap.y
    for label, colour in ((0, NEGATIVE), (1, POSITIVE)):
        sel = snap.y == label
        fig.add_trace(go.Scatter(
            x=snap.x[sel, 0], y=snap.x[sel, 1], mode="markers", name=f"target {label}",
            marker=dict(size=26, color=colour, line=dict(width=4, color=np.where(right[sel], "white", "red"))),
            hovertemplate="x1=%{x:.0f}, x2=%{y:.0f}<extra></extra>"))
    fig.update_xaxes(range=[lo, hi], title_text="x1", dtick=1)
    fig.update_yaxes(range=[lo, hi], title_text="x2", dtick=1, scaleanchor="x", scaleratio=1)
    return style(fig, title, height=460)


def errors_per_epoch(snap: PerceptronSnapshot) -> go.Figure:
    epochs = np.arange(1, len(snap.errors) + 1)
    fig = go.Figure(go.Scatter(x=epochs, y=snap.errors, mode="lines+markers", name="misclassified",
                               line=dict(color=NEGATIVE, width=3)))
    fig.update_layout(xaxis_title="epoch", yaxis_title="samples misclassified",
                      yaxis=dict(rangemode="tozero", dtick=1))
    return style(fig, "errors per epoch", height=300)


def weight_trajectory(snap: PerceptronSnapshot) -> go.Figure:
    epochs = np.arange(len(snap.bias_history))
    fig = go.Figure()
    for j in range(snap.weight_history.shape[1]):
        fig.add_trace(go.Scatter(x=epochs, y=snap.weight_history[:, j], name=f"w{j + 1}",
                                 line=dict(color=SERIES[j], width=3)))
    fig.add_trace(go.Scatter(x=epochs, y=snap.bias_history, name="b",
                             line=dict(color="black", width=3, dash="dot")))
    fig.update_layout(xaxis_title="epoch (0 = initial)", yaxis_title="value")
    return style(fig, "weights and bias", height=300)
