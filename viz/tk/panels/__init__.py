"""The control pane's panels, grouped in modules, each drawing controllers of the view core with ttk widgets."""

from viz.tk.panels.analysis import EquivariancePanel, SpectrumPanel
from viz.tk.panels.app import CapturePanel, PerformancePanel, SessionPanel, ViewPanel
from viz.tk.panels.directions import DirectionsPanel
from viz.tk.panels.latent import LatentPanel, StyleMixPanel, TruncNoisePanel
from viz.tk.panels.network import NetworkPanel
from viz.tk.panels.timeline import TimelinePanel
from viz.tk.panels.transform import LayersPanel, TransformPanel

PANEL_CLASSES = (NetworkPanel, LatentPanel, StyleMixPanel, TruncNoisePanel, DirectionsPanel, TransformPanel, EquivariancePanel, LayersPanel,
    SpectrumPanel, PerformancePanel, CapturePanel, TimelinePanel, ViewPanel, SessionPanel)
