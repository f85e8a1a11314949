// The course site's Pyodide loader: Pyodide's own, with its biggest files sent gzip-compressed whatever the host.
//
// A static host that compresses nothing (or not WebAssembly) sends pyodide.asm.wasm as 10 MB; gzipped it is
// 3 MB. The site stores such files also as NAME.gz (scripts/site_compress.py lists them in COMPRESSED) and this
// script, the kernel's `pyodideUrl` (its worker imports it and calls the `loadPyodide` it defines), has the
// browser unpack them (DecompressionStream) as they arrive: the wasm still compiles while it streams. A file fetched
// with an integrity hash (a package) is checked against it after unpacking, as the browser would have checked it.
// Without DecompressionStream, Pyodide loads the plain files.
(() => {
  const COMPRESSED = new Set(/* COMPRESSED */);
  const TYPES = { wasm: "application/wasm", js: "text/javascript", json: "application/json" };
  let here;  // this folder, Pyodide's indexURL

  function storedCompressed(resource) {
    const url = new URL(resource instanceof Request ? resource.url : resource, self.location.href);
    const name = url.href.slice(here.length).split(/[?#]/)[0];
    return url.href.startsWith(here) && COMPRESSED.has(name) ? name : null;
  }

  async function unpacked(name, integrity, plainFetch) {
    const response = await plainFetch(here + name + ".gz");
    if (!response.ok) throw new Error(`Failed to load '${name}.gz': ${response.status}`);
    const body = response.body.pipeThrough(new DecompressionStream("gzip"));
    const headers = { "Content-Type": TYPES[name.split(".").pop()] || "application/octet-stream" };
    if (!integrity) return new Response(body, { headers });
    const bytes = await new Response(body).arrayBuffer();
    const [algorithm, expected] = integrity.split(/-(.*)/s);
    const digest = await crypto.subtle.digest(algorithm.toUpperCase().replace("SHA", "SHA-"), bytes);
    if (btoa(String.fromCharCode(...new Uint8Array(digest))) !== expected) {
      throw new TypeError(`'${name}' does not match its integrity hash`);
    }
    return new Response(bytes, { headers });
  }

  async function loadRuntimeScript(plainFetch) {
    // What pyodide.js would importScripts, here from the gzipped copy (it then finds _createPyodideModule defined).
    const source = await (await unpacked("pyodide.asm.js", null, plainFetch)).blob();
    const url = URL.createObjectURL(source);
    try {
      importScripts(url);
    } finally {
      URL.revokeObjectURL(url);
    }
  }

  async function loadPyodide(options) {
    here = new URL(options.indexURL, self.location.href).href;
    if (typeof DecompressionStream === "function") {
      const plainFetch = self.fetch.bind(self);
      self.fetch = (resource, init) => {
        const name = storedCompressed(resource);
        return name ? unpacked(name, init && init.integrity, plainFetch) : plainFetch(resource, init);
      };
      if (COMPRESSED.has("pyodide.asm.js")) await loadRuntimeScript(plainFetch);
    }
    importScripts(here + "pyodide.js");  // Pyodide's own loader, which takes the name `loadPyodide`
    return self.loadPyodide(options);
  }

  self.loadPyodide = loadPyodide;
})();
