"""The site's service worker answers only what only it can answer: the kernel's file and input requests.

JupyterLite's service worker relays every other GET of the site with a `fetch` of its own (its cache is off,
so it adds nothing). That relay cost a visit 1-2 s on this machine (measured: bench/notes.md): each of the
30 MB is handed through a second context before Pyodide sees it. Left to the browser, those requests go to its
HTTP cache as on any page (the case in which Chromium may also keep the compiled `pyodide.asm.wasm`), and
`/api/drive` and `/api/stdin` (the drive the kernel shares with the file browser, `input()`) stay the worker's.
"""
import re

# The worker's test for the requests it relays: `shouldDrop(request, url)` is true for those it leaves alone.
_SHOULD_DROP = re.compile(r"function shouldDrop\((\w+),(\w+)\)\{return")


def leave_to_the_browser(out):
    """Rewrite `out`/service-worker.js so that it relays no request but the kernel's own."""
    path = out / "service-worker.js"
    text = path.read_text()
    patched, count = _SHOULD_DROP.subn(r"function shouldDrop(\1,\2){return!0||", text)
    if count != 1:
        raise ValueError(f"{path}: no `shouldDrop` found (a new JupyterLite?): cannot keep the site's files cached")
    path.write_text(patched)
