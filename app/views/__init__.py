"""The dashboard's views, in tab order. Each module defines VIEW, LABEL, layout() and register(app)."""
from app.views import neuron, training

VIEWS = [training, neuron]
