"""The control pane's widgets, one per file, in the order the app shows them."""

from viz.widgets.capture import CaptureRequest, CaptureWidget
from viz.widgets.equivariance import EquivarianceWidget
from viz.widgets.latent import LatentWidget
from viz.widgets.layers import LayersWidget
from viz.widgets.network import NetworkWidget
from viz.widgets.performance import PerformanceWidget
from viz.widgets.spectrum import SpectrumWidget
from viz.widgets.stylemix import StyleMixWidget
from viz.widgets.transform import TransformWidget
from viz.widgets.trunc_noise import TruncNoiseWidget

WIDGET_CLASSES = (NetworkWidget, LatentWidget, StyleMixWidget, TruncNoiseWidget, TransformWidget, EquivarianceWidget,
    LayersWidget, SpectrumWidget, PerformanceWidget, CaptureWidget)
