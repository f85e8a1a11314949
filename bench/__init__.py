"""tensorgrad's benchmark suite: `python -m bench` (see bench/README.md for the results and how to run it).

Each workload module (classroom, per_op, wide_mlp, deep_graph, widgets) has `run(quick)` returning one
`harness.Section` or a list of them; `__main__` runs them, prints Markdown tables and writes the README.
"""
