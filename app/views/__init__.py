"""The dashboard's views, in tab order. Each module defines VIEW, LABEL, HINT
(the tab's tooltip, for a first visit), layout() and register(app)."""
from app.views import digit, example, layer, neuron, ranking, space, training

VIEWS = [training, layer, neuron, ranking, digit, example, space]
