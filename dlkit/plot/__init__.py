"""Figures for every lesson; each function returns a matplotlib Figure and never calls ``plt.show()``.

A returned figure is shown once when it is the last value of a notebook cell
(or with ``display(fig)``; ``fig.savefig(path)`` anywhere). Functions that take
``ax=`` draw into your axes and return its figure. Importing this module draws
nothing and does not import ``matplotlib.pyplot``.

========================  ==========================================  ======
function                  what it draws                               lesson
========================  ==========================================  ======
``activation``            an activation function and its derivative   01
``neuron``                a sigmoid neuron's boundary and accuracy    01
``decision_boundary``     a 2-D classifier's class regions            01-04
``descent_path``          gradient descent on a 2-D loss surface      02, 05
``curves``                loss/metric curves, train vs validation     04-07
``confusion_matrix``      true vs predicted classes                   04
``image_grid``            images with labels and predictions          04, 08
``hyperparameter_search`` score against each hyperparameter           07
``filters``               a conv layer's filters                      08
``feature_maps``          a conv layer's activations                  08
``gan_samples``           generator samples as training goes on       10
``attention``             attention weights, one panel per head       11
``saliency``              a saliency map over its image               12
``attributions``          attribution maps side by side, colourbars   12
``tradeoff``              one measure against another, per method     12
``LivePlot``              curves that update in place while training  04 on
``layered``               a network as columns of nodes and arrows    01, 08-09
``diagram``               any boxes-and-arrows graph (``Node``)       01 on
``computation_graph``     a scalar graph: forward values, gradients   03
========================  ==========================================  ======
"""

from dlkit.plot.activations import ACTIVATIONS, activation, activation_curve
from dlkit.plot.boundary import boundary_grid, decision_boundary, neuron, neuron_accuracy, neuron_output
from dlkit.plot.curves import curves, hyperparameter_search, tradeoff
from dlkit.plot.diagrams import ROLE_COLOURS, Layer, Node, diagram, layered
from dlkit.plot.graph import computation_graph
from dlkit.plot.descent import SURFACES, Surface, descent_path, gradient_descent_path
from dlkit.plot.heatmaps import attention, confusion_counts, confusion_matrix
from dlkit.plot.images import as_images, attributions, feature_maps, filters, gan_samples, image_grid, saliency
from dlkit.plot.live import LivePlot, epoch_line, resolve_mode

__all__ = [
    "ACTIVATIONS", "ROLE_COLOURS", "SURFACES", "Layer", "LivePlot", "Node", "Surface", "activation", "activation_curve", "as_images", "attention", "attributions",
    "boundary_grid", "computation_graph", "confusion_counts", "confusion_matrix", "curves", "decision_boundary", "descent_path",
    "diagram", "epoch_line", "feature_maps", "filters", "gan_samples", "gradient_descent_path", "hyperparameter_search",
    "image_grid", "layered", "neuron", "neuron_accuracy", "neuron_output", "resolve_mode", "saliency", "tradeoff",
]
