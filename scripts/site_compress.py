"""The site's biggest runtime files stored gzip-compressed too, and unpacked by the browser: a third of the bytes.

Whether a static host compresses what it sends is the host's choice (and some never compress WebAssembly), so the
site does not count on it: pyodide.asm.wasm (10.1 MB, 3.1 MB gzipped), pyodide.asm.js, the locks and openssl's
archive get a NAME.gz beside them, and the kernel loads Pyodide through scripts/site/pyodide-site.js, which fetches
the .gz and unpacks it as it arrives. The plain files stay for a browser without DecompressionStream.
"""
import gzip
import json
import pathlib

LOADER = pathlib.Path(__file__).resolve().parent / "site" / "pyodide-site.js"
MIN_SAVING = 0.2  # a file is stored compressed too when gzip takes off at least a fifth of it


def compress(pyodide_folder, names):
    """Write NAME.gz for each of `names` worth it and the loader that unpacks them; returns the loader's file name."""
    compressed = []
    for name in names:
        data = (pyodide_folder / name).read_bytes()
        packed = gzip.compress(data, compresslevel=9, mtime=0)
        if len(packed) <= (1 - MIN_SAVING) * len(data):
            (pyodide_folder / f"{name}.gz").write_bytes(packed)
            compressed.append(name)
    loader = LOADER.read_text().replace("/* COMPRESSED */", json.dumps(sorted(compressed)))
    (pyodide_folder / LOADER.name).write_text(loader)
    return LOADER.name

