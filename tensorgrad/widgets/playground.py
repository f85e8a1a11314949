"""A neural-network playground on our engine (the TensorFlow Playground idea, inside Jupyter).

`PlaygroundModel` is plain Python: a configuration (dataset, noise, hidden sizes, activation,
learning rate, steps) becomes data, a network and an optimiser; `train()` runs `fit` with a
`TrainingPlot` as its callback, and every frame also draws what each first-layer neuron has learned
(its activation over the plane). `Playground` is the thin ipywidgets view: controls, Train/Stop/Reset
buttons and two images.

Train runs through `training.start`: in a background thread inside a kernel, so the kernel stays free
to hear Stop (Voila has no interrupt button), in slices on the event loop where there are no threads
(Pyodide), and synchronously elsewhere (scripts, tests), where
there is no one to press Stop and a thread would only make results timing-dependent.
"""
import html

import numpy as np

from .. import datasets
from ..nn import Linear, ReLU, Sequential, Sigmoid, Tanh
from ..optim import SGD
from ..train import fit, fit_iter
from .._deps import require
from .access import Announcer, accessible
from .clickimage import picture
from .drawing import evaluate, grid_over, png_bytes
from .training import TrainingPlot, describe_progress, spoken, start, summary_html

DATASETS = {  # name -> (n_samples, noise, seed) -> (X, labels 0/1); noise means what the generator makes of it
    "moons": lambda n, noise, seed: datasets.moons(n, noise=noise, seed=seed, labels="01"),
    "circles": lambda n, noise, seed: datasets.circles(n, noise=noise, factor=0.5, seed=seed, labels="01"),
    "spirals": lambda n, noise, seed: datasets.spirals(n, noise=2 * noise, seed=seed, labels="01"),
    "blobs": lambda n, noise, seed: datasets.blobs(n, centers=2, cluster_std=0.5 + 5 * noise, seed=seed,
                                                   labels="01"),
}
ACTIVATIONS = {"tanh": Tanh, "relu": ReLU, "sigmoid": Sigmoid}
REBUILDS = ("dataset", "noise", "hidden", "activation", "samples", "seed")  # settings that need a new net or data


def parse_hidden(hidden):
    """Hidden layer widths from text like "16,16" (or a list); "" means no hidden layer: a linear model."""
    if isinstance(hidden, str):
        parts = [p.strip() for p in hidden.split(",") if p.strip()]
        if not all(p.isdigit() for p in parts):
            raise ValueError(f"hidden sizes are positive whole numbers separated by commas, like 16,16; "
                             f"got {hidden!r}")
        hidden = [int(p) for p in parts]
    widths = tuple(hidden)
    if not all(isinstance(w, (int, np.integer)) and 1 <= w <= 256 for w in widths):
        raise ValueError(f"each hidden size must be a whole number from 1 to 256, got {hidden!r}")
    return widths


class PlaygroundModel:
    """Data, network, optimiser and plots for one playground configuration (see `configure`).

    Inputs are standardised (zero mean, unit variance) so that one learning rate suits every dataset;
    the network is Linear layers with `activation` between them and one output score, trained with
    binary cross-entropy on labels 0/1 by plain SGD. The same seed gives the same data and initial
    weights, so `reset()` returns exactly to the start.
    """

    def __init__(self, dataset="moons", noise=0.15, hidden="8,8", activation="tanh", lr=0.3, steps=300,
                 samples=200, seed=0, *, every=None, min_interval=0.5, resolution=50, max_units=16):
        self.dataset, self.noise, self.hidden, self.activation = dataset, noise, hidden, activation
        self.lr, self.steps, self.samples, self.seed = lr, steps, samples, seed
        self.resolution, self.max_units = resolution, max_units
        self.plot = TrainingPlot(every=every, min_interval=min_interval, resolution=resolution, name=dataset)
        self.plot.listeners.append(self._draw_neurons)
        self.neuron_figure = require("matplotlib.figure", "demo").Figure(dpi=72)
        require("matplotlib.backends.backend_agg", "demo").FigureCanvasAgg(self.neuron_figure)
        self.configure()

    def configure(self, **settings):
        """Change settings (the keyword arguments of the constructor); data and net are rebuilt if needed."""
        unknown = set(settings) - {*REBUILDS, "lr", "steps"}
        if unknown:
            raise TypeError(f"unknown playground setting(s) {sorted(unknown)}; known: {[*REBUILDS, 'lr', 'steps']}")
        merged = {name: getattr(self, name) for name in (*REBUILDS, "lr", "steps")} | settings
        _check(merged)
        merged["hidden"] = parse_hidden(merged["hidden"])
        rebuild = not hasattr(self, "net") or any(merged[k] != getattr(self, k) for k in REBUILDS)
        for name, value in merged.items():
            setattr(self, name, value)
        self.plot.name = self.dataset
        if rebuild:
            self.reset()
        self.optimizer.lr = self.lr

    def reset(self):
        """Fresh data and initial weights from the seed, empty curves, and the untrained model drawn."""
        X, self.y = DATASETS[self.dataset](self.samples, self.noise, self.seed)
        self.X = (X - X.mean(axis=0)) / X.std(axis=0)
        rng = np.random.default_rng(self.seed)
        widths = [2, *self.hidden, 1]
        layers = []
        for i in range(len(widths) - 1):
            layers += [Linear(widths[i], widths[i + 1], rng=rng), ACTIVATIONS[self.activation]()]
        self.net = Sequential(*layers[:-1])
        self.optimizer = SGD(self.net.parameters(), lr=self.lr)
        self._layout_neurons()
        self.plot.clear()
        self.plot.model, self.plot.X, self.plot.y, self.plot.steps = self.net, self.X, self.y, None
        self.plot.draw()

    @property
    def step(self):
        """Training steps taken since the last reset."""
        return self.plot.history["step"][-1] if self.plot.history["step"] else 0

    def train(self, steps=None):
        """Train `steps` (default `self.steps`) more steps, drawing frames as they are due; `stop()` ends early."""
        return fit(**self._fit_arguments(steps))

    def train_iter(self, steps=None):
        """`train` one step per next() (see `fit_iter`): for `training.start` to drive."""
        return fit_iter(**self._fit_arguments(steps))

    def _fit_arguments(self, steps):
        return dict(model=self.net, X=self.X, y=self.y, loss="bce", optimizer=self.optimizer,
                    steps=steps or self.steps, callbacks=[self.plot])

    def stop(self):
        """End the run in progress after its current step (or, if none runs, the next run after its first)."""
        self.plot.stop()

    def neuron_maps(self):
        """Each first-layer unit's activation over the plot's grid: shape (units, resolution, resolution)."""
        if not self.hidden:
            return np.zeros((0, self.resolution, self.resolution))
        first = Sequential(*self.net.layers[:2])  # the first Linear and its activation
        _, _, points = grid_over(self.X, self.resolution)
        return evaluate(first, points).T.reshape(-1, self.resolution, self.resolution)

    def _layout_neurons(self):
        """One small panel per first-layer unit (up to max_units), laid out again when the net changes."""
        figure = self.neuron_figure
        figure.clear()
        shown = min(self.hidden[0], self.max_units) if self.hidden else 0
        self._neuron_images = []
        if not shown:
            figure.set_size_inches(2.6, 0.4)
            figure.text(0.5, 0.5, "no hidden layer: a linear model", ha="center", va="center", fontsize=9)
            return
        cols = min(shown, 8)
        rows = -(-shown // cols)
        height = 1.15 * rows + 0.35
        figure.set_size_inches(max(1.15 * cols + 0.1, 2.0), height)
        figure.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=1 - 0.3 / height, wspace=0.08, hspace=0.08)
        axes = figure.subplots(rows, cols, squeeze=False).ravel()
        for ax in axes:
            ax.set_axis_off()
        self._neuron_images = [ax.imshow(np.zeros((2, 2)), origin="lower", cmap="RdBu", aspect="auto")
                               for ax in axes[:shown]]
        which = "unit by unit" if shown == self.hidden[0] else f"its first {shown} of {self.hidden[0]} units"
        figure.suptitle(f"first layer, {which}", fontsize=9, y=0.995, va="top")

    def _draw_neurons(self, plot):
        maps = self.neuron_maps()
        for image, activation in zip(self._neuron_images, maps):
            limit = max(np.abs(activation).max(), 1e-9)
            image.set_data(activation)
            image.set_clim(-limit, limit)
        self.neurons_png = png_bytes(self.neuron_figure)
        self.neurons_alt = describe_neurons(maps[:len(self._neuron_images)], self.hidden, self.activation)


def describe_neurons(maps, hidden, activation):
    """The first-layer panels in words: what they show, their colours, and per unit its range and where over
    the plane (of the picture's ninths: left or right, bottom or top) it is most positive."""
    if not hidden:
        return "No hidden layer: a linear model, so there are no first-layer panels."
    shown = len(maps)
    text = (f"First hidden layer: {hidden[0]} {activation} units, {shown} shown, each a panel of its activation "
            "over the plane; blue where it is positive, red where negative, white near zero.")
    for k, activation_map in enumerate(maps):
        rows, cols = activation_map.shape
        i, j = np.unravel_index(activation_map.argmax(), activation_map.shape)
        where = (("bottom", "middle", "top")[min(3 * i // rows, 2)] + " " +
                 ("left", "centre", "right")[min(3 * j // cols, 2)]).replace("middle centre", "centre")
        text += (f" Unit {k + 1}: from {spoken(activation_map.min())} to {spoken(activation_map.max())}, "
                 f"highest at the {where}.")
    return text


def _check(settings):
    if settings["dataset"] not in DATASETS:
        raise ValueError(f"dataset must be one of {list(DATASETS)}, got {settings['dataset']!r}")
    if settings["activation"] not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {settings['activation']!r}")
    if not 0 <= settings["noise"] <= 1:
        raise ValueError(f"noise must be between 0 and 1, got {settings['noise']!r}")
    if not settings["lr"] > 0:
        raise ValueError(f"the learning rate must be > 0, got {settings['lr']!r}")
    for name in ("steps", "samples"):
        if not isinstance(settings[name], (int, np.integer)) or settings[name] < 1:
            raise ValueError(f"{name} must be a positive whole number, got {settings[name]!r}")


class Playground:
    """The playground in a notebook: pick data and a net, press Train, watch boundary and neurons evolve.

    `background`: train in the background (default: inside a kernel; see the module docstring). The
    buttons call `train()`, `stop()` and `reset()`, which tests may call too; `wait()` joins a training thread.
    """

    def __init__(self, model=None, *, background=None, **settings):
        widgets = require("ipywidgets")
        if model is not None and settings:
            raise TypeError(f"Playground takes a PlaygroundModel or settings for a new one, not both; "
                            f"got both a model and {sorted(settings)}")
        self.model = model if model is not None else PlaygroundModel(**settings)
        self.background, self.job = background, None
        m = self.model
        self.controls = {
            "dataset": widgets.Dropdown(options=list(DATASETS), value=m.dataset, description="data"),
            "noise": widgets.FloatSlider(value=m.noise, min=0, max=0.5, step=0.01, description="noise"),
            "hidden": widgets.Text(value=",".join(map(str, m.hidden)), description="hidden",
                                   placeholder="e.g. 16,16", continuous_update=False),
            "activation": widgets.Dropdown(options=list(ACTIVATIONS), value=m.activation, description="activation"),
            "lr": widgets.FloatLogSlider(value=m.lr, base=10, min=-3, max=1, step=0.1, description="learning rate"),
            "steps": widgets.IntSlider(value=m.steps, min=10, max=3000, step=10, description="steps"),
        }
        for name, control in self.controls.items():
            control.style.description_width = "90px"
            control.observe(lambda change, name=name: self._configure(name, change["new"]), names="value")
        self.buttons = {name: widgets.Button(description=name, icon=icon, tooltip=tip)
                        for name, icon, tip in (("Train", "play", "train the chosen number of steps"),
                                                ("Stop", "stop", "stop after this step"),
                                                ("Reset", "refresh", "new data and initial weights from the seed"))}
        self.buttons["Train"].on_click(lambda _button: self.train())
        self.buttons["Stop"].on_click(lambda _button: self.stop())
        self.buttons["Reset"].on_click(lambda _button: self.reset())
        self.status = widgets.HTML()
        self.announcer = Announcer()
        self.image = picture(stretch=True)
        self.summary = widgets.HTML()
        # in a row beside the taller controls the picture would be stretched to their height: keep its shape
        self.neurons = picture()
        self.neurons.layout = widgets.Layout(align_self="flex-start")
        m.plot.listeners.append(self._show)
        panel = widgets.VBox([*self.controls.values(), widgets.HBox(list(self.buttons.values())), self.status,
                              self.announcer.region])
        self.widget = accessible(widgets.VBox([widgets.HBox([panel, self.neurons]), self.image, self.summary]))
        for part, name in ((self.widget, ""), (self.image, "-boundary"), (self.status, "-status"),
                           (self.neurons, "-neurons")):
            part.add_class("tensorgrad-playground" + name)  # names for styling and for the browser tests
        self._show()

    @property
    def running(self):
        return self.job is not None and self.job.running

    def train(self):
        if not self.running:
            self.model.plot.stop_requested = False  # forget a Stop pressed while idle; cleared here, not in
            self.job = start(self._train(), self.background)  # the run, so a quick Stop is never lost

    def _train(self):
        self.buttons["Train"].disabled = True
        first = self.model.step
        self.announcer.start(first, first + self.model.steps)
        self._say(f"training {self.model.steps} steps...")
        self.announcer.say(f"Training {self.model.steps} steps from step {first}.")
        try:
            yield from self.model.train_iter()
            self._say(None)
            done = "finished" if self.model.step >= first + self.model.steps else "stopped"
            self.announcer.say(f"Training {done} at {describe_progress(self.model.plot.history)}.")
        except Exception as error:  # in a thread nobody would see it: show it in the widget too
            self._say(f"training failed: {type(error).__name__}: {error}", error=True)
            self.announcer.say(f"Training failed: {type(error).__name__}: {error}")
            raise
        finally:
            self.buttons["Train"].disabled = False

    def stop(self):
        self.model.stop()

    def wait(self, timeout=None):
        if self.job is not None:
            self.job.wait(timeout)

    def reset(self):
        self._halt()
        self.model.reset()  # its first frame reaches the images through the plot's listener
        self.announcer.say("Reset: new data and initial weights, step 0.")

    def _halt(self):
        """Stop a running training and wait for it, before the data or the net change under it."""
        if self.running:
            self.stop()
            self.wait()

    def _configure(self, name, value):
        if name in REBUILDS:
            self._halt()
        try:
            self.model.configure(**{name: value})
        except ValueError as error:
            self._say(str(error), error=True)
            self.announcer.say(str(error))
            return
        self._say(None)
        if name in REBUILDS:
            self.announcer.say(f"{self.controls[name].description} {value}: new data and network, step 0.")

    def _show(self, _plot=None):
        m = self.model
        self.image.png, self.image.alt = m.plot.png, m.plot.alt
        self.neurons.png, self.neurons.alt = m.neurons_png, m.neurons_alt
        self.summary.value = summary_html(m.plot)
        self._say(None)
        self.announcer.progress(m.plot.history)  # (silent but for a run passing a quarter)

    def _say(self, message, error=False):
        """The status line: a message, or else the step, loss and accuracy reached."""
        history = self.model.plot.history
        if message is None:
            message = (f"step {self.model.step}: loss {history['loss'][-1]:.4f}, accuracy {history['accuracy'][-1]:.1%}"
                       if history["step"] else "untrained: press Train")
        self.status.value = f"<span class='{'tg-error' if error else ''}'>{html.escape(message)}</span>"

    def _repr_mimebundle_(self, **kwargs):  # displaying the playground displays its widget
        return self.widget._repr_mimebundle_(**kwargs)
