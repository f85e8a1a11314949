"""The Pyodide kernel's start, trimmed of what a notebook in the course site never uses.

Two changes, both measured in bench/notes.md:
- The site's copy of the kernel's own wheel (pyodide_kernel) imports IPython without its terminal shell
  (scripts/site/site_start.py): about 0.8 s less in every kernel start, in JupyterLab and in the apps.
- The apps (the widget notebooks run by Voici) get a lock of their own. The kernel loads jedi (completion) and ssl
  (with openssl) by name at every start, and IPython's lock entry brings prompt_toolkit, the terminal's. An app has
  no code cell to complete and no terminal, and our notebooks open no network connection, so in the app lock
  jedi and ssl are one empty archive and IPython comes without prompt_toolkit: 4 MB less to send, 0.5 s less to
  unpack. JupyterLab keeps them all.
"""
import base64
import hashlib
import json
import pathlib
import zipfile

from site_preload import canonical

HERE = pathlib.Path(__file__).resolve().parent
KERNEL_PYPI = pathlib.Path("extensions", "@jupyterlite", "pyodide-kernel-extension", "static", "pypi")
START = "from . import patches\n"  # pyodide_kernel/__init__.py imports IPython right after its patches
APP_LOCK = "pyodide-lock-app.json"
APP_EMPTY = ("jedi", "ssl")  # asked for by the kernel by name; empty in an app
APP_UNUSED = ("prompt-toolkit", "wcwidth")  # the terminal's, which the kernel never starts
EMPTY = "empty.zip"


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def kernel_without_terminal(out):
    """Rewrite the kernel's wheel under `out` so that it imports IPython through site_start; returns its path.

    The wheel keeps its name; its RECORD, and its digests in the kernel's piplite index (all.json), are made
    true again, and the index's own sha256, which the site's pages carry, is replaced wherever it appears.
    """
    pypi = out / KERNEL_PYPI
    (wheel,) = pypi.glob("pyodide_kernel-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    init = members["pyodide_kernel/__init__.py"].decode()
    if START not in init:
        raise ValueError(f"{wheel.name}: its __init__ no longer imports {START.strip()!r}: check where IPython is first imported")
    members["pyodide_kernel/__init__.py"] = init.replace(START, "from . import site_start\n\nsite_start.import_ipython_without_terminal()\n"
                                                         "del site_start\n\n" + START).encode()
    members["pyodide_kernel/site_start.py"] = (HERE / "site" / "site_start.py").read_bytes()
    (record,) = [name for name in members if name.endswith(".dist-info/RECORD")]
    members[record] = "".join(f"{_record_line(name, data)}\n" for name, data in members.items() if name != record).encode() \
        + f"{record},,\n".encode()
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 2, 2, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    data = wheel.read_bytes()
    index_path = pypi / "all.json"
    old_index = hashlib.sha256(index_path.read_bytes()).hexdigest()
    index = json.loads(index_path.read_text())
    for releases in index["pyodide-kernel"]["releases"].values():
        for release in releases:
            if release["filename"] == wheel.name:
                release["digests"] = {"md5": hashlib.md5(data).hexdigest(), "sha256": hashlib.sha256(data).hexdigest()}
                release["md5_digest"], release["size"] = release["digests"]["md5"], len(data)
    index_path.write_text(json.dumps(index, indent=2, sort_keys=True))
    new_index = hashlib.sha256(index_path.read_bytes()).hexdigest()
    for page in [*out.glob("*.json"), *out.rglob("*.html")]:
        text = page.read_text()
        if old_index in text:
            page.write_text(text.replace(old_index, new_index))
    return wheel


def app_lock(pyodide_folder):
    """Write the apps' lock beside the site's (which must list the site's wheels already); returns its file name."""
    lock = json.loads((pyodide_folder / "pyodide-lock.json").read_text())
    packages = lock["packages"]
    empty = pyodide_folder / EMPTY
    with zipfile.ZipFile(empty, "w"):
        pass
    digest = hashlib.sha256(empty.read_bytes()).hexdigest()
    for name in APP_EMPTY:
        packages[name] = {**packages[name], "file_name": EMPTY, "sha256": digest, "package_type": "package",
                          "imports": [], "depends": []}
    for name in APP_UNUSED:
        del packages[name]
    for entry in packages.values():
        entry["depends"] = [d for d in entry["depends"] if canonical(d) not in APP_UNUSED]
    (pyodide_folder / APP_LOCK).write_text(json.dumps(lock))
    return APP_LOCK
