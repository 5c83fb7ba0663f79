"""The control pane's sections, one per file, each drawing a controller of the view core."""

from viz.imgui.views.capture import CaptureView
from viz.imgui.views.directions import DirectionsView
from viz.imgui.views.equivariance import EquivarianceView
from viz.imgui.views.latent import LatentView
from viz.imgui.views.layers import LayersView
from viz.imgui.views.network import NetworkView
from viz.imgui.views.performance import PerformanceView
from viz.imgui.views.session import SessionView, ViewView
from viz.imgui.views.spectrum import SpectrumView
from viz.imgui.views.stylemix import StyleMixView
from viz.imgui.views.timeline import TimelineView
from viz.imgui.views.transform import TransformView
from viz.imgui.views.trunc_noise import TruncNoiseView

VIEW_CLASSES = (NetworkView, LatentView, StyleMixView, TruncNoiseView, DirectionsView, TransformView, EquivarianceView, LayersView, SpectrumView,
    PerformanceView, CaptureView, TimelineView, ViewView, SessionView)
