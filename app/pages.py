"""Every page of the app, in one list: main.py's navigation and server.py's "page not found"."""
from __future__ import annotations

# (file in app/labs, url path, title, icon); the first is the home page at "/"
PAGES = (
    ("home.py", "", "Home", ":material/home:"),
    ("neuron_lab.py", "neuron", "Neuron & activations", ":material/bolt:"),
    ("playground.py", "playground", "Network playground", ":material/hub:"),
    ("optimizer_lab.py", "optimizers", "Gradient descent & optimizers", ":material/trending_down:"),
    ("cnn_lab.py", "cnn", "Convolutional network", ":material/filter_center_focus:"),
    ("som_lab.py", "som", "Self-organizing map", ":material/grid_view:"),
    ("rbm_lab.py", "rbm", "Boltzmann machine (RBM)", ":material/blur_on:"),
    ("rnn_lab.py", "rnn", "Recurrent networks", ":material/replay:"),
    ("autoencoder_lab.py", "autoencoder", "Autoencoders", ":material/compress:"),
)
