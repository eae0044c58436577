"""Every size cap of the engine, in one place.

The app's widgets take their ranges from here, and the engine's public boundary
(``engine.checks``) refuses anything beyond them with a ValueError before a kernel runs, so a
notebook, a link or a visitor of the hosted instance gets the same limits. They keep one call of
one session to a few seconds of CPU and a few hundred MB of memory on a public server.
"""
from __future__ import annotations

# any array given to the engine, and any array the engine allocates for one call
MAX_ELEMENTS = 20_000_000          # 160 MB of float64

# network playground (engine.mlp)
MLP_MAX_LAYERS = 8
MLP_MAX_UNITS = 32
MLP_MAX_INPUTS = 64                # an 8 x 8 digit image, flattened
MLP_MAX_CLASSES = 10
MLP_MAX_STEPS_PER_CALL = 100_000
MLP_MAX_SAMPLES = 200_000          # rows given to predict / all_units / loss at once
MLP_MC_MAX_PASSES = 1000           # Monte Carlo dropout: predictions averaged
MLP_BN_MAX_BATCH = 8192            # batch normalisation: samples of one mini-batch (held in one block)

# datasets (engine.datasets)
MAX_POINTS = 5000                  # points of a generated or uploaded 2-D set

# neuron lab (engine.neuron)
NEURON_MAX_INPUTS = 8
PERCEPTRON_MAX_EPOCHS_PER_CALL = 100_000

# gradient-descent lab (engine.surfaces, engine.landscape)
RACE_MAX_STEPS = 5000
RACE_MAX_RACERS = 12
SURFACE_MAX_GRID = 400             # a surface's grid is at most this many points a side
LANDSCAPE_MAX_TRAIN_STEPS = 1000

# CNN lab (engine.conv)
MAX_IMAGE_SIDE = 512
CONV_MAX_FILTERS = 64
CONV_MAX_KERNEL = 64
CONV_MAX_BATCH = 512
CNN_MAX_CLASSES = 100
CNN_MAX_STEPS_PER_CALL = 10_000

# SOM lab (engine.som)
SOM_MAX_SIDE = 60
SOM_MAX_STEPS = 500_000
SOM_MAX_BATCH_WORK = 2e9           # batch mode: samples x units x features x iterations

# RBM lab (engine.rbm)
RBM_MAX_UNITS = 1000
RBM_MAX_K = 25
RBM_MAX_BATCH = 500
RBM_MAX_GIBBS_STEPS = 10_000

# recurrent lab (engine.rnn, engine.sequences)
RNN_MAX_HIDDEN = 128
RNN_MAX_LAYERS = 2
RNN_MAX_BATCH = 256
RNN_MAX_UPDATES_PER_CALL = 10_000
RNN_MAX_WORK_PER_CALL = 4e9        # updates x batch x steps x layers x (G H) x (H + inputs): a few s of CPU
SEQ_MAX_STEPS = 400                # time steps of one sequence
SEQ_MAX_SEQUENCES = 20_000
SEQ_MAX_SERIES = 100_000           # values of a generated or uploaded series
# autoencoder lab (engine.autoencoder)
AE_MAX_WIDTH = 256
AE_MAX_LAYERS = 4                  # encoder layers before the code (the decoder mirrors them)
AE_MAX_INPUTS = 1024
AE_MAX_BATCH = 512
AE_MAX_UPDATES_PER_CALL = 20_000
AE_MAX_WORK_PER_CALL = 4e9         # updates x batch x weights x 3: a few seconds of CPU at most
# values in data: beyond this, a squared distance or a product overflows to infinity
MAX_ABS_VALUE = 1e100

# what the hosted app offers (smaller than the engine allows: one visitor's frame stays cheap)
UI_SOM_MAX_SIDE = 40
UI_SOM_MAX_STEPS = 200_000
UI_RBM_MAX_HIDDEN = 400
UI_RBM_MAX_BATCH = 200
UI_IMAGE_MAX_SIDE = 256            # uploads are shrunk to at most this many pixels a side
UI_UPLOAD_MAX_BYTES = 5_000_000    # an image upload
UI_UPLOAD_MAX_PIXELS = 40_000_000  # decompression-bomb guard, far above any phone photo
UI_RNN_MAX_STEPS = 200
UI_RNN_MAX_HIDDEN = 64
UI_MAX_PLAY_S = 600.0              # continuous play before a live view pauses itself

# seeds: what numpy.random.default_rng takes, kept to one 64-bit word
MAX_SEED = 2**63 - 1
