"""The control pane's widgets, one per file, in the order the app shows them."""

from viz.imgui.widgets.capture import CaptureRequest, CaptureWidget
from viz.imgui.widgets.equivariance import EquivarianceWidget
from viz.imgui.widgets.latent import LatentWidget
from viz.imgui.widgets.layers import LayersWidget
from viz.imgui.widgets.network import NetworkWidget
from viz.imgui.widgets.performance import PerformanceWidget
from viz.imgui.widgets.spectrum import SpectrumWidget
from viz.imgui.widgets.stylemix import StyleMixWidget
from viz.imgui.widgets.transform import TransformWidget
from viz.imgui.widgets.trunc_noise import TruncNoiseWidget

WIDGET_CLASSES = (NetworkWidget, LatentWidget, StyleMixWidget, TruncNoiseWidget, TransformWidget, EquivarianceWidget,
    LayersWidget, SpectrumWidget, PerformanceWidget, CaptureWidget)
