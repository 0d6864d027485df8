"""The dashboard's views, in tab order. Each module defines VIEW, LABEL, layout() and register(app)."""
from app.views import digit, example, layer, neuron, ranking, training

VIEWS = [training, layer, neuron, ranking, digit, example]
