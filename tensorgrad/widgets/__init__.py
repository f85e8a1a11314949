"""Jupyter widgets: the backward-pass stepper, live training plots, the playground and the training studio.

Each widget is a plain-Python model (state and stepping, importable without Jupyter) plus a thin
ipywidgets view around it; ipywidgets and matplotlib are imported only when a view is built.
"""
from .playground import Playground, PlaygroundModel
from .stepper import BackwardStepper, Stepper
from .studio import StudioModel, TrainingStudio
from .training import LivePlot, TrainingPlot

__all__ = ["BackwardStepper", "GraphView", "Stepper", "LivePlot", "TrainingPlot", "Playground", "PlaygroundModel",
           "StudioModel", "TrainingStudio"]


def __getattr__(name):  # GraphView subclasses anywidget's widget: imported only when asked for
    if name == "GraphView":
        from .._deps import require
        require("anywidget")
        from .graphview import GraphView
        return GraphView
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
