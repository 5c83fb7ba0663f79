"""The controllers, one per part of the view. Each front end draws one section per controller (the
analysis controller has two: equivariance and spectrum)."""

from viz.core.controllers.analysis import AnalysisController
from viz.core.controllers.capture import CaptureController
from viz.core.controllers.directions import DirectionsController
from viz.core.controllers.latent import LatentController
from viz.core.controllers.layers import LayersController
from viz.core.controllers.network import NetworkController
from viz.core.controllers.performance import PerformanceController
from viz.core.controllers.stylemix import StyleMixController
from viz.core.controllers.transform import TransformController
from viz.core.controllers.trunc_noise import TruncNoiseController

CONTROLLER_CLASSES = (NetworkController, LatentController, StyleMixController, TruncNoiseController, TransformController,
    LayersController, AnalysisController, PerformanceController, CaptureController, DirectionsController)
