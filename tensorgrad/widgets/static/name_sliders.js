// ipywidgets leaves a slider's handle without a name (ipywidgets#2650): give each `role="slider"` handle under
// `root` its row's label text. One definition, put in front of the modules that need it (the stepper's
// GraphView and the training widgets' live region, see their `_esm`).
function nameSliders(root) {
  for (const row of root.querySelectorAll(".widget-slider, .widget-hslider, .widget-vslider")) {
    const label = row.querySelector(".widget-label")?.textContent.trim();
    for (const handle of row.querySelectorAll("[role=slider]")) {
      if (label && handle.getAttribute("aria-label") !== label) handle.setAttribute("aria-label", label);
    }
  }
}
