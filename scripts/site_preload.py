"""What the course site loads before a notebook's first cell: one parallel load instead of one install after another.

The Pyodide kernel installs its own packages (ssl, sqlite3, ipykernel, comm, pyodide_kernel, jedi, ipython) with
piplite one after the other, each waiting for the last, unless they are in the `packages` of its
`loadPyodideOptions`: Pyodide then fetches all of those, and their dependencies, at once while it starts. So
the site's copy of `pyodide-lock.json` also lists the site's own pure wheels (tensorgrad, the widgets, the
kernel's), each by its sha256 and its dependencies read from the wheel, and PRELOAD names what every stepper
notebook needs. A notebook's site cell then finds them installed (scripts/site_cell.py); matplotlib, which
only some notebooks use, still loads when one asks for it.
"""
import email.parser
import hashlib
import json
import os
import re
import zipfile

# The kernel's own packages (the names it checks for), micropip and piplite (preloaded, piplite is not installed again
# with micropip at every start), then what the stepper's notebooks use: numpy comes with tensorgrad; matplotlib is left
# to the notebooks that draw with it.
KERNEL = ("micropip", "piplite", "ssl", "sqlite3", "ipykernel", "comm", "pyodide_kernel", "jedi", "ipython")
PRELOAD = KERNEL + ("tensorgrad-classroom", "ipywidgets", "anywidget", "graphviz")
KERNEL_SETTINGS = "@jupyterlite/pyodide-kernel-extension:kernel"


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_entry(wheel, file_name):
    """A lock entry for a pure wheel: its name, version, top-level imports and every unconditional requirement."""
    with zipfile.ZipFile(wheel) as archive:
        info = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = email.parser.Parser().parsestr(archive.read(info).decode())
        imports = sorted({n.split("/")[0] for n in archive.namelist() if ".dist-info/" not in n
                          and (n.endswith("/__init__.py") and n.count("/") == 1 or "/" not in n and n.endswith(".py"))})
    requires = [re.match(r"[A-Za-z0-9_.-]+", r).group() for r in metadata.get_all("Requires-Dist") or []
                if ";" not in r]  # requirements with a marker (extras, other platforms) are not loaded
    with open(wheel, "rb") as file:
        digest = hashlib.sha256(file.read()).hexdigest()
    return {"name": canonical(metadata["Name"]), "version": metadata["Version"], "file_name": file_name,
            "install_dir": "site", "sha256": digest, "package_type": "package", "unvendored_tests": False,
            "imports": [i.removesuffix(".py") for i in imports], "depends": [canonical(r) for r in requires]}


def add_site_wheels(lock_path, wheels):
    """List `wheels` (paths under the site) in the lock at `lock_path`, by a file name relative to its folder.

    A requirement the lock cannot meet (say, a kernel shim's) is left out: micropip never needed it either.
    Returns the lock's names of the added wheels.
    """
    lock = json.loads(lock_path.read_text())
    added = {}
    for wheel in wheels:
        entry = wheel_entry(wheel, os.path.relpath(wheel, lock_path.parent))
        if entry["name"] not in lock["packages"] or entry["name"] in added:
            added[entry["name"]] = entry
    lock["packages"].update(added)
    for entry in added.values():
        entry["depends"] = [d for d in entry["depends"] if d in lock["packages"]]
    missing = [p for p in PRELOAD if canonical(p) not in lock["packages"]]
    if missing:
        raise ValueError(f"the site's wheels and the Pyodide lock hold none of {missing}")
    lock_path.write_text(json.dumps(lock))
    return sorted(added)


def preload(settings):
    """The kernel's settings (a jupyter-lite.json or page config's litePluginSettings entry), told to preload."""
    options = settings.setdefault("loadPyodideOptions", {})
    options["packages"] = [*options.get("packages", []), *[p for p in PRELOAD if p not in options.get("packages", [])]]
    # Pyodide 0.27.7 made `run_until_complete` block on WebAssembly stack switching (JSPI), which Safari lacks:
    # there a kernel whose start reaches it dies ("stack switching not supported"). Off, it is 0.27.6's no-op;
    # no notebook calls it, and Chromium and Firefox run the same way as Safari then.
    options["enableRunUntilComplete"] = False
    return settings
