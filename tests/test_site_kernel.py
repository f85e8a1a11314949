"""The course site's lighter kernel start: IPython without its terminal, the apps' lock, the runtime stored gzipped.

Fast checks of the build steps (scripts/site_kernel.py, scripts/site_compress.py) on small stand-in folders;
test_site.py checks the built site in a browser (what the app fetches, and that it runs).
"""
import base64
import gzip
import hashlib
import json
import shutil
import subprocess
import sys
import zipfile

import pytest

from test_site_packaging import ROOT, script

INIT = '"""A Python kernel backed by Pyodide"""\n\nfrom . import mocks\n\nmocks.apply_mocks()\n\nfrom . import patches\n\npatches.apply_patches()\n'


def test_ipython_imports_without_its_terminal_and_embed_still_works():
    pytest.importorskip("IPython")
    code = (f"import sys; sys.path.insert(0, {str(ROOT / 'scripts' / 'site')!r})\n"
            "import site_start; site_start.import_ipython_without_terminal()\n"
            "import IPython\n"
            "assert 'prompt_toolkit' not in sys.modules and 'IPython.terminal.embed' not in sys.modules\n"
            "assert callable(IPython.embed)\n"
            "from IPython.terminal.embed import InteractiveShellEmbed\n"  # the real module, once asked for
            "print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr


def _kernel_site(tmp_path, init=INIT):
    """A stand-in site: the kernel's wheel and piplite index, and a page that names the index by its sha256."""
    site_kernel = script("site_kernel")
    pypi = tmp_path / site_kernel.KERNEL_PYPI
    pypi.mkdir(parents=True)
    wheel = pypi / "pyodide_kernel-0.6.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("pyodide_kernel/__init__.py", init)
        archive.writestr("pyodide_kernel-0.6.1.dist-info/METADATA", "Name: pyodide-kernel\nVersion: 0.6.1\n")
        archive.writestr("pyodide_kernel-0.6.1.dist-info/RECORD", "stale\n")
    release = {"filename": wheel.name, "digests": {"md5": "x", "sha256": "x"}, "md5_digest": "x", "size": 1}
    (pypi / "all.json").write_text(json.dumps({"pyodide-kernel": {"releases": {"0.6.1": [release]}}}))
    old = hashlib.sha256((pypi / "all.json").read_bytes()).hexdigest()
    (tmp_path / "voici").mkdir()
    (tmp_path / "voici" / "app.html").write_text(f'"pipliteUrls": ["../../{site_kernel.KERNEL_PYPI}/all.json?sha256={old}"]')
    return site_kernel, wheel, old


def test_the_kernels_wheel_imports_ipython_through_site_start_and_stays_a_true_wheel(tmp_path):
    site_kernel, wheel, old = _kernel_site(tmp_path)
    assert site_kernel.kernel_without_terminal(tmp_path) == wheel
    with zipfile.ZipFile(wheel) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
        record = members.pop("pyodide_kernel-0.6.1.dist-info/RECORD").decode().splitlines()
    init = members["pyodide_kernel/__init__.py"].decode()
    assert init.index("site_start.import_ipython_without_terminal()") < init.index("from . import patches")
    assert init.index("mocks.apply_mocks()") < init.index("site_start")
    assert members["pyodide_kernel/site_start.py"] == (ROOT / "scripts" / "site" / "site_start.py").read_bytes()
    for name, data in members.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert f"{name},sha256={digest},{len(data)}" in record
    assert "pyodide_kernel-0.6.1.dist-info/RECORD,," in record
    index = json.loads((wheel.parent / "all.json").read_text())
    (release,) = index["pyodide-kernel"]["releases"]["0.6.1"]
    assert release["digests"]["sha256"] == hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert release["size"] == wheel.stat().st_size
    new = hashlib.sha256((wheel.parent / "all.json").read_bytes()).hexdigest()
    page = (tmp_path / "voici" / "app.html").read_text()
    assert old not in page and f"all.json?sha256={new}" in page


def test_a_kernel_that_imports_ipython_elsewhere_stops_the_build(tmp_path):
    site_kernel, _, _ = _kernel_site(tmp_path, init="import IPython\n")
    with pytest.raises(ValueError, match="no longer imports 'from . import patches'"):
        site_kernel.kernel_without_terminal(tmp_path)


def test_the_apps_lock_has_no_completion_ssl_or_terminal_and_keeps_the_rest(tmp_path):
    site_kernel = script("site_kernel")

    def entry(name, depends=(), **more):
        return {"name": name, "version": "1", "file_name": f"{name}.whl", "install_dir": "site", "sha256": "s",
                "package_type": "package", "imports": [name], "depends": list(depends), **more}
    packages = {"jedi": entry("jedi", ["parso"]), "parso": entry("parso"), "ssl": entry("ssl", ["openssl"]),
                "openssl": entry("openssl", package_type="shared_library"), "sqlite3": entry("sqlite3"),
                "prompt-toolkit": entry("prompt_toolkit", ["wcwidth"]), "wcwidth": entry("wcwidth"),
                "ipython": entry("ipython", ["prompt_toolkit", "pygments", "sqlite3"]), "pygments": entry("pygments")}
    (tmp_path / "pyodide-lock.json").write_text(json.dumps({"info": {}, "packages": packages}))
    name = site_kernel.app_lock(tmp_path)
    lock = json.loads((tmp_path / name).read_text())["packages"]
    empty = tmp_path / site_kernel.EMPTY
    with zipfile.ZipFile(empty) as archive:
        assert archive.namelist() == []
    for absent in ("jedi", "ssl"):  # still known by name (the kernel asks for them), but nothing to load
        assert lock[absent]["file_name"] == empty.name and lock[absent]["depends"] == lock[absent]["imports"] == []
        assert lock[absent]["sha256"] == hashlib.sha256(empty.read_bytes()).hexdigest()
    assert "prompt-toolkit" not in lock and "wcwidth" not in lock
    assert lock["ipython"]["depends"] == ["pygments", "sqlite3"]
    assert lock["sqlite3"] == packages["sqlite3"] and lock["pygments"] == packages["pygments"]
    assert json.loads((tmp_path / "pyodide-lock.json").read_text())["packages"] == packages  # JupyterLab's: as it was


def test_the_runtime_is_stored_gzipped_where_that_pays_and_the_loader_lists_it(tmp_path):
    site_compress = script("site_compress")
    text = b"(module (func $f))\n" * 5000
    (tmp_path / "pyodide.asm.wasm").write_bytes(text)
    noise = hashlib.shake_256(b"seed").digest(200_000)  # incompressible, like a zip of deflated files
    (tmp_path / "python_stdlib.zip").write_bytes(noise)
    loader = site_compress.compress(tmp_path, ["pyodide.asm.wasm", "python_stdlib.zip"])
    assert gzip.decompress((tmp_path / "pyodide.asm.wasm.gz").read_bytes()) == text
    assert not (tmp_path / "python_stdlib.zip.gz").exists()
    source = (tmp_path / loader).read_text()
    assert 'new Set(["pyodide.asm.wasm"])' in source
    if shutil.which("node"):
        check = subprocess.run(["node", "--check", str(tmp_path / loader)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
