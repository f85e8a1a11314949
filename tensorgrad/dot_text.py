"""DOT text without the graphviz package: what the widgets hand to the browser to lay out.

The widgets never run Graphviz's `dot` (GraphView lays graphs out in the browser), so they should not
need its Python binding either: under Pyodide, or after `pip install '.[widgets]'`, it may be absent.
`DotText` writes the same statements `graphviz.Digraph` writes for the few calls tensorgrad makes.
"""
import re

_ID = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?))$")
_KEYWORDS = {"node", "edge", "graph", "digraph", "subgraph", "strict"}
_UNESCAPED_QUOTE = re.compile(r'(?<!\\)((?:\\\\)*)"')


def quote(text):
    """An identifier or attribute value as DOT reads it: bare where it may be, else quoted."""
    if _ID.match(text) and text.lower() not in _KEYWORDS:
        return text
    return '"' + _UNESCAPED_QUOTE.sub(r'\1\\"', text) + '"'


def _attributes(label=None, attrs=None):
    items = ([("label", label)] if label is not None else []) + sorted((attrs or {}).items())
    return " [" + " ".join(f"{quote(k)}={quote(v)}" for k, v in items) + "]" if items else ""


class DotText:
    """A directed graph as DOT text, built with graphviz.Digraph's `node`, `edge` and `graph_attr`."""

    def __init__(self, format=None, graph_attr=None):  # format: accepted like graphviz's, nothing to render
        self.graph_attr = dict(graph_attr or {})
        self.body = []

    @staticmethod
    def escape(text):
        """Backslashes taken literally (graphviz.escape)."""
        return text.replace("\\", "\\\\")

    def node(self, name, label=None, **attrs):
        self.body.append(f"\t{quote(name)}{_attributes(label, attrs)}\n")

    def edge(self, tail, head, label=None, **attrs):
        self.body.append(f"\t{quote(tail)} -> {quote(head)}{_attributes(label, attrs)}\n")

    @property
    def source(self):
        head = f"\tgraph{_attributes(attrs=self.graph_attr)}\n" if self.graph_attr else ""
        return "digraph {\n" + head + "".join(self.body) + "}\n"
