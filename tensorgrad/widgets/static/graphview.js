// GraphView's front end: draw the DOT once with Graphviz-in-WebAssembly, then patch the SVG in place.
// Python sends {kind: "state", current, done, fields} messages holding only what changed; the view
// keeps the whole state, so a message that arrives before the drawing is applied once it exists.

const SLOT = /^(data |grad )?@([DG])(\d+)L(\d+)@Q*$/;   // a number line laid out by viz.widget_dot
const HEAT = /^@H([DG])(\d+)L(\d+)@Q*$/;                // a heatmap line
const HEATMAP_WIDTH = 27;                               // characters, as in viz.py
const MARGIN = 24, MIN_SCALE = 0.05, MAX_SCALE = 4;
const LEGIBLE_PX = 10;        // the current node's font is never drawn smaller than this (px on screen)
const MAX_AREA = 0.7;         // of the window's height: the most the graph area takes unless told
const MINIMAP = 170;          // px: the overview's longer side
const SVG_NS = "http://www.w3.org/2000/svg";

function graphviz() {  // the instance the hidden _VizRuntime widget starts (viz_loader.js)
  const slot = (globalThis.__tensorgradViz ??= {});
  slot.promise ??= new Promise((resolve) => { slot.resolve = resolve; });
  return slot.promise;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function heatColour(v) {  // -9..9: red for negative, blue for positive, white for zero
  const t = Math.min(Math.abs(v), 9) / 9;
  const [r, g, b] = v < 0 ? [178, 24, 43] : [33, 102, 172];
  const mix = (c) => Math.round(255 + (c - 255) * t);
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}

function index(svg) {
  // Name every node group data-node="n<i>" (ops: data-op), find the number slots, heatmap areas and edges.
  const nodes = new Map(), ops = new Map(), slots = new Map(), heats = new Map(), edges = [];
  for (const g of svg.querySelectorAll("g.node")) {
    const name = g.querySelector("title")?.textContent ?? "";
    if (/^n\d+$/.test(name)) { g.dataset.node = name; nodes.set(name, g); }
    else if (/^n\d+_op$/.test(name)) { g.dataset.op = name.slice(0, -3); ops.set(name.slice(0, -3), g); }
    for (const text of g.querySelectorAll("text")) {
      let m = SLOT.exec(text.textContent);
      if (m) {
        const key = `${m[3]}${m[2]}`;
        if (!slots.has(key)) slots.set(key, []);
        slots.get(key)[+m[4]] = { text, prefix: m[1] ?? "" };
        text.textContent = m[1] ?? "";
      } else if ((m = HEAT.exec(text.textContent))) {
        const key = `${m[2]}${m[1]}`;
        if (!heats.has(key)) heats.set(key, { texts: [], g });
        heats.get(key).texts[+m[3]] = text;
        text.textContent = "";
      }
    }
  }
  for (const g of svg.querySelectorAll("g.edge")) {
    const [tail, head] = (g.querySelector("title")?.textContent ?? "").split("->");
    Object.assign(g.dataset, { tail, head });
    edges.push({ g, tail, head });
  }
  for (const title of svg.querySelectorAll("title")) title.remove();  // ours is the tooltip
  const areas = new Map();
  for (const [key, { texts, g }] of heats) {  // the rectangle the placeholder lines took
    const first = texts[0], last = texts[texts.length - 1];
    const size = parseFloat(first.getAttribute("font-size")) || 14;
    const x = parseFloat(first.getAttribute("x")), top = parseFloat(first.getAttribute("y")) - 0.8 * size;
    const area = document.createElementNS(SVG_NS, "g");
    area.setAttribute("class", "tg-heat");
    g.append(area);
    areas.set(key, { area, x, y: top, width: HEATMAP_WIDTH * 0.6 * size,
                     height: parseFloat(last.getAttribute("y")) + 0.25 * size - top });
  }
  const text = svg.querySelector("g.node text");
  const fontSize = parseFloat(text?.getAttribute("font-size")) || 14;
  return { nodes, ops, slots, areas, edges, fontSize };
}

function svgElement(tag, attributes) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
  return node;
}

function drawHeat({ area, x, y, width, height }, grid) {
  area.replaceChildren();
  if (!grid) return;
  const rows = grid.length, cols = grid[0].length, w = width / cols, h = height / rows;
  grid.forEach((row, r) => row.forEach((v, c) => {
    const cell = document.createElementNS(SVG_NS, "rect");
    for (const [k, val] of Object.entries({ x: x + c * w, y: y + r * h, width: w, height: h, fill: heatColour(v) })) {
      cell.setAttribute(k, val);
    }
    area.append(cell);
  }));
}

let views = 0;  // numbers each view's ids (aria-describedby needs ids unique on the page)

const WALK_HELP = "Press Enter to walk the graph node by node: left arrow goes to an input, right arrow to the " +
  "value it feeds, up and down arrows among the inputs of the same op, Home to the output, Enter to show a " +
  "node's details, Escape to leave. Outside the walk, left and right arrows step a stepper.";

function render({ model, el }) {
  el.classList.add("tg-graphview");
  el.tabIndex = 0;
  const id = `tg-graph-${++views}`;
  el.setAttribute("role", "group");
  el.setAttribute("aria-label", "computation graph");
  el.setAttribute("aria-describedby", `${id}-summary ${id}-help`);
  const toolbar = element("div", "tg-toolbar");
  const buttons = { "tg-zoom-in": "+", "tg-zoom-out": "\u2212", "tg-fit": "fit" };
  for (const [name, label] of Object.entries(buttons)) {
    const button = element("button", `tg-button ${name}`, label);
    button.type = "button";
    button.title = { "tg-zoom-in": "zoom in", "tg-zoom-out": "zoom out", "tg-fit": "show the whole graph" }[name];
    if (label !== "fit") button.setAttribute("aria-label", button.title);  // "+" and "−" say nothing; "fit" does
    toolbar.append(button);
  }
  // The parallel description (PhET's idea): the graph in words, then its values in the order the graph runs
  // from the output back to its inputs, each focusable in the walk; and a polite live region.
  const described = element("div", "tg-sr-only");
  const summary = element("p", "tg-summary", model.get("summary"));
  summary.id = `${id}-summary`;
  const help = element("p", "", WALK_HELP);
  help.id = `${id}-help`;
  const list = element("ol", "tg-walk-list");
  list.setAttribute("aria-label", "the graph's values, from the output back to the inputs");
  described.append(summary, help, list);
  const live = element("div", "tg-live tg-sr-only", model.get("status"));
  live.setAttribute("role", "status");
  live.setAttribute("aria-live", "polite");
  const caption = element("div", "tg-caption");  // what the walk is on, for the eyes (the list speaks)
  caption.setAttribute("aria-hidden", "true");
  const onSummary = () => { summary.textContent = model.get("summary"); };
  const onStatus = () => { live.textContent = model.get("status"); };
  model.on("change:summary", onSummary);
  model.on("change:status", onStatus);
  const viewport = element("div", "tg-viewport");
  const maxHeight = () => model.get("height") || Math.round(MAX_AREA * window.innerHeight);
  viewport.style.height = `${Math.min(320, maxHeight())}px`;
  const stage = element("div", "tg-stage");
  const status = element("div", "tg-status", "drawing the graph\u2026");
  const tip = element("div", "tg-tooltip");
  const markers = element("div", "tg-markers");  // arrows at the edge towards parts of the step out of view
  const minimap = element("div", "tg-minimap");   // the whole graph, the visible part outlined
  minimap.title = "the whole graph: click to go there";
  viewport.append(stage, status, markers, minimap, tip);
  el.append(toolbar, viewport, caption, described, live);
  el.setAttribute("data-lm-suppress-shortcuts", "true");  // JupyterLab: no notebook shortcut (say, d d) while we have focus

  const state = { current: null, done: new Set(), fields: {}, words: {} };
  const view = { s: 1, x: 0, y: 0 };
  let drawn = null, size = null;
  let preferred = 1;  // the scale the reader chose (or the first view's): focus zooms out from it only as needed

  const place = () => {
    stage.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.s})`;
    if (drawn) { markOffscreen(); outlineMinimap(); }
  };
  const zoomAt = (factor, px, py) => {
    const s = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.s * factor));
    view.x = px - (px - view.x) * s / view.s;
    view.y = py - (py - view.y) * s / view.s;
    view.s = preferred = s;
    place();
  };
  const fit = () => {
    const vw = viewport.clientWidth, vh = viewport.clientHeight;
    view.s = preferred = Math.min(1, (vw - 2 * MARGIN) / size.w, (vh - 2 * MARGIN) / size.h);
    view.x = (vw - size.w * view.s) / 2;
    view.y = (vh - size.h * view.s) / 2;
    place();
  };

  function box(groups) {  // the groups' union, in the stage's own (unscaled) coordinates
    const v = viewport.getBoundingClientRect();
    let left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
    for (const g of groups) {
      const r = g.getBoundingClientRect();
      left = Math.min(left, (r.left - v.left - view.x) / view.s);
      top = Math.min(top, (r.top - v.top - view.y) / view.s);
      right = Math.max(right, (r.right - v.left - view.x) / view.s);
      bottom = Math.max(bottom, (r.bottom - v.top - view.y) / view.s);
    }
    return { left, top, right, bottom, w: right - left, h: bottom - top };
  }

  const legible = () => LEGIBLE_PX / drawn.fontSize;  // the smallest scale at which text stays readable

  function stepGroups() {
    // The current node (before the first step: the output), its op, and the nodes feeding that op.
    const name = state.current ?? `n${drawn.nodes.size - 1}`;
    const own = [drawn.nodes.get(name), drawn.ops.get(name)].filter(Boolean);
    const parents = drawn.edges.filter((e) => e.head === `${name}_op` && drawn.nodes.has(e.tail))
      .map((e) => drawn.nodes.get(e.tail));
    return { own, parents: [...new Set(parents)] };
  }

  function focus() {
    // Bring the whole step into view, zooming out as far as needed but never below a legible scale;
    // at that scale, keep the current node with its nearest parents; the rest get arrows at the edge.
    const { own, parents } = stepGroups();
    if (!own.length) return;
    const vw = viewport.clientWidth - 2 * MARGIN, vh = viewport.clientHeight - 2 * MARGIN;
    const here = box(own);
    const distance = (g) => { const r = box([g]); return Math.hypot(r.left + r.right - here.left - here.right,
                                                                      r.top + r.bottom - here.top - here.bottom); };
    const all = box([...own, ...parents]);
    const s = Math.min(MAX_SCALE, Math.max(Math.min(preferred, vw / all.w, vh / all.h), legible()));
    let groups = own;
    for (const parent of [...parents].sort((p, q) => distance(p) - distance(q))) {  // nearest first, while they fit
      const b = box([...groups, parent]);
      if (b.w * s <= vw && b.h * s <= vh) groups = [...groups, parent];
    }
    const b = box(groups);
    const left = view.x + b.left * s, top = view.y + b.top * s;
    const inside = s === view.s && left >= MARGIN && top >= MARGIN && left + b.w * s <= vw + MARGIN
      && top + b.h * s <= vh + MARGIN;
    view.s = s;
    if (!inside) {
      view.x = within(viewport.clientWidth / 2 - (b.left + b.w / 2) * s, size.w * s, viewport.clientWidth);
      view.y = within(viewport.clientHeight / 2 - (b.top + b.h / 2) * s, size.h * s, viewport.clientHeight);
    }
    place();
  }

  function within(offset, extent, room) {
    // Along one axis: a graph that fits is centred whole (never cut); a bigger one shows no empty space past its ends.
    if (extent + 2 * MARGIN <= room) return (room - extent) / 2;
    return Math.min(MARGIN, Math.max(room - MARGIN - extent, offset));
  }

  function centreOn(g) {
    const b = box([g]);
    view.x = viewport.clientWidth / 2 - (b.left + b.w / 2) * view.s;
    view.y = viewport.clientHeight / 2 - (b.top + b.h / 2) * view.s;
    place();
  }

  function markOffscreen() {
    // An arrow on the edge of the area for each part of the step out of view, pointing at it; a click pans there.
    const { own, parents } = stepGroups();
    const v = viewport.getBoundingClientRect();
    const w = viewport.clientWidth, h = viewport.clientHeight, cx = w / 2, cy = h / 2;
    const wanted = [...parents, own[0]].filter(Boolean).map((g) => {
      const r = g.getBoundingClientRect();
      const x = (r.left + r.right) / 2 - v.left, y = (r.top + r.bottom) / 2 - v.top;
      const out = r.left < v.left || r.top < v.top || r.right > v.right || r.bottom > v.bottom;
      return out && { g, x, y };
    }).filter(Boolean);
    markers.replaceChildren(...wanted.map(({ g, x, y }) => {
      const dx = x - cx, dy = y - cy, inset = 16;
      const t = Math.min(Math.abs((cx - inset) / (dx || 1e-9)), Math.abs((cy - inset) / (dy || 1e-9)));
      const marker = element("button", "tg-offscreen", "\u27a4");
      marker.type = "button";
      marker.dataset.offscreen = g.dataset.node;
      if (g === own[0]) marker.classList.add("tg-offscreen-current");
      const info = model.get("info")[+g.dataset.node.slice(1)];
      marker.title = `${g === own[0] ? "the current node" : "an input of this step"}` +
        `${info?.label ? ` (${info.label})` : ""}: click to go there`;
      marker.setAttribute("aria-label", marker.title.replace("click", "press"));
      marker.style.left = `${cx + dx * Math.min(t, 1)}px`;
      marker.style.top = `${cy + dy * Math.min(t, 1)}px`;
      marker.style.transform = `translate(-50%, -50%) rotate(${Math.atan2(dy, dx)}rad)`;
      return marker;
    }));
  }
  markers.addEventListener("pointerdown", (event) => event.stopPropagation());  // not the start of a drag
  markers.addEventListener("click", (event) => {
    const name = event.target.closest("[data-offscreen]")?.dataset.offscreen;
    if (!name || !drawn) return;
    touched = true;
    centreOn(drawn.nodes.get(name));
  });

  let overview = null;  // {frame, shapes, scale}: the minimap's outline of the view, its node shapes, its scale
  function buildMinimap() {
    // Each node as a rectangle, in a box of at most MINIMAP px; shown only while the graph overflows the area.
    const scale = MINIMAP / Math.max(size.w, size.h);
    const svg = svgElement("svg", { width: size.w * scale, height: size.h * scale });
    const shapes = new Map();
    for (const [name, g] of [...drawn.nodes, ...[...drawn.ops].map(([n, g]) => [`${n}_op`, g])]) {
      const b = box([g]);
      const rect = svgElement("rect", { x: b.left * scale, y: b.top * scale, width: Math.max(1, b.w * scale),
                                         height: Math.max(1, b.h * scale), class: "tg-minimap-node" });
      svg.append(rect);
      shapes.set(name, rect);
    }
    const frame = svgElement("rect", { class: "tg-minimap-view" });
    svg.append(frame);
    minimap.replaceChildren(svg);
    overview = { frame, shapes, scale };
  }

  function outlineMinimap() {
    if (!overview) return;
    const vw = viewport.clientWidth, vh = viewport.clientHeight, k = overview.scale;
    minimap.style.display = size.w * view.s > vw || size.h * view.s > vh ? "block" : "none";
    for (const [k2, v] of Object.entries({ x: -view.x / view.s * k, y: -view.y / view.s * k,
                                           width: vw / view.s * k, height: vh / view.s * k })) {
      overview.frame.setAttribute(k2, v);
    }
    for (const [name, rect] of overview.shapes) {
      rect.classList.toggle("tg-minimap-current", state.current !== null && name.split("_")[0] === state.current);
    }
  }
  minimap.addEventListener("pointerdown", (event) => {
    event.stopPropagation();
    if (!overview) return;
    const r = minimap.querySelector("svg").getBoundingClientRect();
    touched = true;
    view.x = viewport.clientWidth / 2 - (event.clientX - r.left) / overview.scale * view.s;
    view.y = viewport.clientHeight / 2 - (event.clientY - r.top) / overview.scale * view.s;
    place();
  });

  function patch(fieldIds) {
    const { nodes, ops, slots, areas, edges } = drawn;
    for (const id of fieldIds) {
      const f = state.fields[id];
      for (const [F, lines] of [["D", f.data], ["G", f.grad]]) {
        (slots.get(`${id}${F}`) ?? []).forEach((slot, k) => { slot.text.textContent = slot.prefix + (lines?.[k] ?? ""); });
      }
      for (const [F, grid] of [["D", f.dheat], ["G", f.gheat]]) {
        const area = areas.get(`${id}${F}`);
        if (area) drawHeat(area, grid);
      }
    }
    const selected = model.get("selected_node");
    for (const [name, g] of nodes) {
      g.classList.toggle("tg-done", state.done.has(+name.slice(1)));
      g.classList.toggle("tg-current", name === state.current);
      g.classList.toggle("tg-selected", name === selected);
    }
    const inputs = new Set(state.current === null ? [] : inputsOf(state.current));
    for (const [name, g] of nodes) g.classList.toggle("tg-input", inputs.has(name));
    for (const [name, g] of ops) g.classList.toggle("tg-current", name === state.current);
    markCurrent(nodes.get(state.current));
    for (const edge of edges) {
      edge.g.classList.toggle("tg-flow", state.current !== null && (edge.head === `${state.current}_op`
        || (edge.tail === `${state.current}_op` && edge.head === state.current)));
    }
  }

  function inputsOf(name) {  // the values feeding the op that made `name`, in operand order
    return [...new Set(drawn.edges.filter((e) => e.head === `${name}_op` && drawn.nodes.has(e.tail)).map((e) => e.tail))];
  }
  function consumersOf(name) {  // the values made by ops that `name` feeds
    return [...new Set(drawn.edges.filter((e) => e.tail === name && e.head.endsWith("_op"))
      .map((e) => e.head.slice(0, -3)).filter((n) => drawn.nodes.has(n)))];
  }

  let badge = null;  // "this step" written above the current node: its outline is not the only sign
  function markCurrent(g) {
    badge?.remove();
    badge = null;
    const shape = g?.querySelector("polygon, ellipse");
    if (!shape) return;
    const b = shape.getBBox();
    badge = svgElement("text", { class: "tg-badge", x: b.x + b.width / 2, y: b.y - 5, "text-anchor": "middle" });
    badge.textContent = "\u25bc this step";
    g.append(badge);
  }

  // The walk: roving focus over the list, each item a value; the node walked to is outlined and kept in view.
  const items = new Map();  // "n<i>" -> its <li>
  let walked = null, trail = [];  // the node the walk is on, and the consumers it came down through (a way back)
  function buildWalkList() {
    items.clear();
    const output = `n${drawn.nodes.size - 1}`, order = [], seen = new Set([output]);
    for (let k = 0, queue = drawn.nodes.has(output) ? [output] : []; k < queue.length; k++) {
      order.push(queue[k]);  // breadth first from the output, inputs in operand order: the graph read backwards
      for (const p of inputsOf(queue[k])) if (!seen.has(p)) { seen.add(p); queue.push(p); }
    }
    for (const name of drawn.nodes.keys()) if (!seen.has(name)) order.push(name);
    list.replaceChildren(...order.map((name) => {
      const item = element("li", "", state.words[name.slice(1)] ?? "");
      item.tabIndex = -1;
      item.dataset.walk = name;
      item.setAttribute("data-lm-suppress-shortcuts", "true");  // JupyterLab: its command-mode keys stay out
      items.set(name, item);
      return item;
    }));
  }
  function sayNodes(ids) {
    for (const i of ids) {
      const item = items.get(`n${i}`);
      if (item) item.textContent = state.words[i];
      if (walked === `n${i}`) caption.textContent = state.words[i];
    }
  }
  function walkTo(name) {
    const g = drawn.nodes.get(name);
    if (!g) return;
    drawn.nodes.get(walked)?.classList.remove("tg-walk");
    walked = name;
    g.classList.add("tg-walk");
    caption.textContent = state.words[name.slice(1)] ?? "";
    caption.style.display = "block";
    const v = viewport.getBoundingClientRect(), r = g.getBoundingClientRect();
    if (r.left < v.left || r.top < v.top || r.right > v.right || r.bottom > v.bottom) centreOn(g);
    items.get(name).focus({ preventScroll: false });
  }
  function leaveWalk() {
    drawn?.nodes.get(walked)?.classList.remove("tg-walk");
    walked = null;
    trail = [];
    caption.style.display = "none";
  }
  list.addEventListener("focusout", (event) => { if (!list.contains(event.relatedTarget)) leaveWalk(); });
  function walkKey(key) {
    // Returns whether the key was the walk's. At a dead end the live region says why nothing moved.
    const say = (text) => { live.textContent = text; };
    if (key === "ArrowLeft") {
      const [first] = inputsOf(walked);
      if (first) { trail.push(walked); walkTo(first); } else say("This is an input: nothing feeds it.");
    } else if (key === "ArrowRight") {
      const consumers = consumersOf(walked);
      const back = consumers.includes(trail.at(-1)) ? trail.pop() : (trail = [], consumers[0]);
      if (back) walkTo(back); else say("This is the output: it feeds nothing.");
    } else if (key === "ArrowUp" || key === "ArrowDown") {
      const consumer = trail.at(-1) ?? consumersOf(walked)[0];
      const siblings = consumer ? inputsOf(consumer) : [walked];
      const k = siblings.indexOf(walked) + (key === "ArrowDown" ? 1 : -1);
      if (k >= 0 && k < siblings.length) {
        if (trail.at(-1) !== consumer) trail = [consumer];
        walkTo(siblings[k]);
      } else say(siblings.length > 1 ? `That was the ${k < 0 ? "first" : "last"} of ${siblings.length} inputs.`
        : "It has no siblings.");
    } else if (key === "Home") { trail = []; walkTo(`n${drawn.nodes.size - 1}`); }
    else if (key === "Enter" || key === " ") {
      model.set("selected_node", walked);
      model.save_changes();
      patch([]);
    } else if (key === "Escape") el.focus();
    else return false;
    return true;
  }

  let joined = null;  // the stepper around this view, once it is on the page
  function joinStepper() {
    // Name the ipywidgets controls of the stepper around (its Play buttons are icons without names, its
    // sliders' handles unlabelled: ipywidgets#2650), and keep a press (or the focus it gives) in it from activating
    // the notebook's cell: JupyterLab's windowed notebook may scroll between press and release, losing the click.
    const host = el.closest(".tensorgrad-stepper");
    if (!host || joined === host) return;
    joined = host;
    const name = () => {
      for (const button of host.querySelectorAll(".widget-play button")) {
        const icon = button.querySelector("i")?.className ?? "";
        const label = /fa-pause/.test(icon) ? "pause" : /fa-play/.test(icon) ? "play" : /fa-stop/.test(icon) ? "stop"
          : /fa-retweet|fa-repeat/.test(icon) ? "repeat" : null;
        if (label && button.getAttribute("aria-label") !== label) { button.setAttribute("aria-label", label); button.title = label; }
        if (label === "repeat") button.setAttribute("aria-pressed", String(button.classList.contains("mod-active")));
      }
      nameSliders(host);  // static/name_sliders.js, put in front of this module
    };
    name();
    new MutationObserver(name).observe(host, { subtree: true, childList: true, attributes: true, attributeFilter: ["class"] });
    for (const kind of ["mousedown", "pointerdown", "focusin"]) host.addEventListener(kind, (event) => event.stopPropagation());
  }

  function onMessage(msg) {
    if (msg?.kind !== "state") return;
    if ("current" in msg) state.current = msg.current;
    if ("done" in msg) state.done = new Set(msg.done);
    for (const [id, f] of Object.entries(msg.fields ?? {})) state.fields[id] = { ...state.fields[id], ...f };
    Object.assign(state.words, msg.words ?? {});
    sayNodes(Object.keys(msg.words ?? {}));
    if (!drawn) return;
    const began = performance.now();
    patch(Object.keys(msg.fields ?? {}));
    if ("current" in msg) focus();
    el.dataset.patchMs = (performance.now() - began).toFixed(2);  // read by the benchmark
  }
  model.on("msg:custom", onMessage);
  const onSelected = () => drawn && patch([]);
  model.on("change:selected_node", onSelected);

  const shown = () => new Promise((resolve) => {  // a view is often drawn before it is on the page
    if (viewport.clientWidth > 0) { resolve(); return; }
    const watch = new ResizeObserver(() => { if (viewport.clientWidth > 0) { watch.disconnect(); resolve(); } });
    watch.observe(viewport);
  });

  async function draw() {
    const viz = await graphviz();
    if (viz.error) throw viz.error;
    const svg = viz.renderSVGElement(model.get("dot"));
    await shown();
    drawn = index(svg);
    svg.setAttribute("aria-hidden", "true");  // its text is slot placeholders and layout: the list says it in words
    stage.replaceChildren(svg);
    buildWalkList();
    joinStepper();
    status.remove();
    size = { w: svg.width.baseVal.value, h: svg.height.baseVal.value };
    patch(Object.keys(state.fields));
    initialView();
    buildMinimap();
    outlineMinimap();
    el.dataset.drawn = "true";
  }

  let touched = false;  // once the reader pans or zooms, the view is theirs
  function initialView() {
    // A Value's graph: the whole width if it fits at a legible size, the current step (or output) in view.
    // A bare DOT drawing (draw_dot without `dot`): the whole width, as a static SVG image would show it.
    // The area's height follows the graph's at that scale, up to maxHeight(): a small graph is never cut.
    const whole = Math.min(1, (viewport.clientWidth - 2 * MARGIN) / size.w);
    view.s = preferred = model.get("info").length ? Math.max(legible(), whole) : whole;
    viewport.style.height = `${Math.round(Math.max(120, Math.min(maxHeight(), size.h * view.s + 2 * MARGIN)))}px`;
    view.x = Math.max(MARGIN, (viewport.clientWidth - size.w * view.s) / 2);
    view.y = Math.max(MARGIN, (viewport.clientHeight - size.h * view.s) / 2);
    place();
    if (model.get("info").length) focus();
  }
  let width = 0;
  const resized = new ResizeObserver(() => {  // notebooks often settle their width after drawing
    if (viewport.clientWidth === width) return;
    width = viewport.clientWidth;
    if (drawn && !touched && width > 0) initialView();
  });
  resized.observe(viewport);
  // A view first laid out out of sight (JupyterLab's windowed notebook keeps cells it does not show out of the
  // page or unmeasured; Run All draws them there) gets its first view again the first time it is seen: the
  // view of a graph drawn out of sight is the one drawn in sight. Once the reader pans or zooms it is theirs.
  let seen = false;
  const sighted = new IntersectionObserver((entries) => {
    if (!entries.some((entry) => entry.isIntersecting) || seen) return;
    seen = true;
    if (drawn && !touched) { width = viewport.clientWidth; initialView(); }
  });
  sighted.observe(viewport);
  const failed = (error) => { status.textContent = `could not draw the graph: ${error}`; viewport.append(status); };
  draw().catch(failed);
  const onDot = () => {  // a graph of another structure: lay it out anew, then ask for its whole state
    drawn = null;
    Object.assign(state, { current: null, done: new Set(), fields: {}, words: {} });
    model.send({ kind: "ready" });
    draw().catch(failed);
  };
  model.on("change:dot", onDot);

  // interaction: buttons, wheel, drag to pan, hover for a tooltip, click to select, arrows to step
  toolbar.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button || !size) return;
    touched = true;
    const cx = viewport.clientWidth / 2, cy = viewport.clientHeight / 2;
    if (button.classList.contains("tg-zoom-in")) zoomAt(1.25, cx, cy);
    else if (button.classList.contains("tg-zoom-out")) zoomAt(0.8, cx, cy);
    else fit();
  });
  viewport.addEventListener("wheel", (event) => {
    if (!size) return;
    event.preventDefault();
    touched = true;
    const v = viewport.getBoundingClientRect();
    zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - v.left, event.clientY - v.top);
  }, { passive: false });
  let drag = null;
  viewport.addEventListener("pointerdown", (event) => {
    drag = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y, moved: false,
             node: event.target.closest?.("[data-node]") };
  });
  viewport.addEventListener("pointermove", (event) => {
    if (drag && (event.buttons & 1)) {
      const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (drag.moved) { touched = true; view.x = drag.vx + dx; view.y = drag.vy + dy; place(); viewport.classList.add("tg-dragging"); }
    }
    showTip(event);
  });
  const endDrag = () => {
    if (drag && !drag.moved && drag.node) {
      model.set("selected_node", drag.node.dataset.node);
      model.save_changes();
      patch([]);
    }
    drag = null;
    viewport.classList.remove("tg-dragging");
  };
  viewport.addEventListener("pointerup", endDrag);
  viewport.addEventListener("pointerleave", () => { drag = null; tip.style.display = "none"; viewport.classList.remove("tg-dragging"); });

  function showTip(event) {
    const g = event.target.closest?.("[data-node]");
    const info = g && model.get("info")[+g.dataset.node.slice(1)];
    if (!info || (drag && drag.moved)) { tip.style.display = "none"; return; }
    const f = state.fields[g.dataset.node.slice(1)] ?? {};
    tip.replaceChildren(
      element("b", "", info.label || "(no label)"), element("span", "", ` ${info.shape} ${info.dtype}`),
      element("div", "tg-tip-name", "data"), element("pre", "", f.dtip ?? ""),
      element("div", "tg-tip-name", "grad"), element("pre", "", f.gtip ?? "not tracked"),
      element("p", "tg-tip-words", state.words[g.dataset.node.slice(1)] ?? ""));  // what a screen reader hears
    const v = viewport.getBoundingClientRect();
    tip.style.display = "block";
    tip.style.left = `${Math.min(event.clientX - v.left + 14, viewport.clientWidth - tip.offsetWidth - 4)}px`;
    tip.style.top = `${Math.min(event.clientY - v.top + 14, viewport.clientHeight - tip.offsetHeight - 4)}px`;
  }

  // The arrow keys step while focus is in the graph or anywhere in the stepper around it. Heard on the
  // window before anything else (capturing), so that no notebook's own shortcuts (JupyterLab's and
  // Notebook 7's command mode) take them first; the stepper is looked up when a key comes, since a
  // view is often drawn before it is put in its place on the page.
  const onKey = (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const target = event.target instanceof Element ? event.target : null;
    const ours = () => { event.preventDefault(); event.stopPropagation(); };
    if (target && drawn && list.contains(target) && target.dataset.walk) {  // walking: the walk's keys
      if (walkKey(event.key)) ours();
      return;
    }
    if (target === el && drawn && event.key === "Enter" && items.size) {  // into the walk, at the step's node
      ours();
      trail = [];
      walkTo(state.current ?? `n${drawn.nodes.size - 1}`);
      return;
    }
    if (!["ArrowLeft", "ArrowRight"].includes(event.key)) return;
    const host = el.closest(".tensorgrad-stepper") ?? el;
    if (!target || !host.contains(target) || target.closest("input, textarea, select, [role=slider], .noUi-handle")) return;
    ours();
    model.send({ kind: "key", key: event.key });
  };
  window.addEventListener("keydown", onKey, true);
  viewport.addEventListener("pointerdown", () => el.focus({ preventScroll: true }));  // a click on the graph gives it the keys
  model.send({ kind: "ready" });  // the Python side answers with the whole state

  return () => {
    resized.disconnect();
    sighted.disconnect();
    window.removeEventListener("keydown", onKey, true);
    model.off("msg:custom", onMessage);
    model.off("change:selected_node", onSelected);
    model.off("change:dot", onDot);
    model.off("change:summary", onSummary);
    model.off("change:status", onStatus);
  };
}

export default { render };
