"""The course site's kernel imports IPython without its terminal shell.

`import IPython` imports `IPython.terminal.embed` only to offer `IPython.embed`, and with it prompt_toolkit: in
Pyodide that is 0.8 s of every kernel start (bench/notes.md), for a terminal a browser kernel never opens.
Put into the site's copy of pyodide_kernel (scripts/site_kernel.py), which imports IPython first.
"""
import sys
import types


def import_ipython_without_terminal():
    """Import IPython with `IPython.embed` bound to a function that imports the terminal when called."""
    name = "IPython.terminal.embed"
    if "IPython" in sys.modules:
        return
    stand_in = types.ModuleType(name)

    def embed(*args, **kwargs):
        from IPython.terminal.embed import embed as terminal_embed
        return terminal_embed(*args, **kwargs)

    stand_in.embed = embed
    sys.modules[name] = stand_in
    try:
        import IPython  # noqa: F401
    finally:
        del sys.modules[name]  # the next import of it is the real one
