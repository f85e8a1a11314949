"""Refresh the vendored Graphviz-in-WebAssembly module that GraphView draws with.

`npm pack @viz-js/viz@VERSION` fetches the published package; its `dist/viz.js` (one ES module with
the WebAssembly embedded, so nothing is downloaded at run time) is copied verbatim to
tensorgrad/widgets/static/viz.js. The package ships no licence file, only a banner naming what it
contains; THIRD_PARTY_NOTICES.md holds the licences of those parts, so the script stops if the banner
ever names something the notices do not cover.

Usage: `python scripts/vendor_viz.py [VERSION]` (needs npm).
"""
import pathlib
import re
import subprocess
import sys
import tarfile
import tempfile

VERSION = "3.31.0"  # keep in step with tensorgrad/widgets/graphview.py VIZ_VERSION
STATIC = pathlib.Path(__file__).resolve().parent.parent / "tensorgrad" / "widgets" / "static"
COVERED = {"Viz.js", "Graphviz", "Expat"}  # the components THIRD_PARTY_NOTICES.md gives licences for


def main(version=VERSION):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"@viz-js/viz@{version}", "--silent"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        (tarball,) = pathlib.Path(tmp).glob("*.tgz")
        with tarfile.open(tarball) as archive:
            module = archive.extractfile("package/dist/viz.js").read().decode("utf-8")
    banner = re.match(r"/\*!(.*?)\*/", module, re.S)
    named = set(re.findall(r"^(\S+)(?: \d[\d.]*| https?:\S+)", banner.group(1), re.M)) if banner else set()
    if not banner or f"Viz.js {version}" not in banner.group(1) or not named <= COVERED:
        sys.exit(f"viz.js {version}: its banner names {sorted(named)}; update THIRD_PARTY_NOTICES.md first")
    if not module.rstrip().endswith("export { engines, formats, graphvizVersion, instance };"):
        sys.exit("viz.js no longer ends with the export line graphview.py replaces: check the loader")
    (STATIC / "viz.js").write_text(module, encoding="utf-8")
    print(f"wrote {STATIC / 'viz.js'} ({len(module):,} bytes, @viz-js/viz {version})")


if __name__ == "__main__":
    main(*sys.argv[1:])
