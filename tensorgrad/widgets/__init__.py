"""Jupyter widgets: the backward-pass stepper and live training plots.

Each widget is a plain-Python model (state and stepping, importable without Jupyter) plus a thin
ipywidgets view around it; ipywidgets and matplotlib are imported only when a view is built.
"""
