"""Home: what netplay is and what each lab teaches."""
import streamlit as st

from engine import backend

st.title(":material/neurology: netplay")
st.markdown(
    "A playground for neural networks: every control changes a real computation, every plot shows "
    "the engine's real state. Poke at it alone, or project it in a lecture hall."
)

st.subheader("Labs")


def lab_card(page: str, title: str, icon: str, points: list[str]) -> None:
    """One lab: a link with its icon, then what it teaches in a few points."""
    with st.container(border=True):
        st.page_link(page, label=f"**{title}**", icon=icon)
        st.markdown("\n".join(f"- {p}" for p in points))


lab_card("labs/neuron_lab.py", "Neuron & activations", ":material/bolt:", [
    ("**McCulloch-Pitts unit**: a neuron with no weights, only a threshold θ. θ = 1 makes OR, θ = n makes "
     "AND, and one inhibitory input can veto everything."),
    ("**Rosenblatt perceptron**: watch the decision line move epoch by epoch as it learns AND, OR and "
     "NAND, and see why it never settles on XOR."),
    ("**Activation gallery**: every common activation and its derivative; where they saturate, why the "
     "sigmoid's slope never beats 0.25, how ReLU units die."),
    "**Softmax**: turn any scores into probabilities and feel what temperature does.",
])
lab_card("labs/playground.py", "Network playground", ":material/hub:", [
    ("Train a real network live on 2-D data (circle, XOR, spiral, Gaussians, 3+ class blobs, regression, "
     "or your own CSV) and watch its decision boundary form."),
    "Every neuron drawn as what it computes; links coloured and thickened by weight.",
    ("Any depth up to 8 layers of 32, per-layer activations, feature crosses, every optimizer, batch size,"
     " L1/L2, dropout, early stopping, gradient clipping."),
    ("Loss curves, accuracy / precision / recall / AUC, per-layer gradient sizes (vanishing gradients) and"
     " dead ReLUs; one-click teaching presets."),
])
lab_card("labs/optimizer_lab.py", "Gradient descent & optimizers", ":material/trending_down:", [
    ("Race GD, SGD, momentum, Nesterov, AdaGrad, RMSprop, Adam, Adadelta and Nadam across a bowl, a "
     "ravine, a saddle, local minima, Rosenbrock, Beale, Himmelblau or a real network's loss."),
    "Sweep one learning rate: too small crawls, right converges, too large oscillates or diverges.",
    "The ball on a curve: one weight, the loss as a curve, a circle per gradient step.",
    "See the step size each parameter actually gets: AdaGrad's shrinking, Adam's rescaling.",
])
lab_card("labs/cnn_lab.py", "Convolutional network", ":material/filter_center_focus:", [
    ("Slide edge, blur, sharpen or emboss kernels (or your own numbers) over sample images or your own "
     "upload; stride, padding, ReLU and max / average / sum pooling side by side."),
    ("Click any cell of a feature map and see the window, the products and the sum that made it; the "
     "winning cell of each pooling window."),
    "A shape calculator that reproduces the course's Keras CNN and VGG16 to the last parameter.",
    "Train a small CNN on handwritten digits live: its filters, feature maps, softmax, confusion matrix.",
])
lab_card("labs/som_lab.py", "Self-organizing map", ":material/grid_view:", [
    ("Watch the best-matching unit pull its neighbourhood towards each sample, and the radius shrink step "
     "by step as the map organises."),
    ("Colours painted as a map, 2-D shapes covered by an elastic net, iris flowers and 15-feature "
     "applications read through the U-matrix."),
    ("Rectangular or hexagonal grids; Gaussian, bubble, Mexican-hat and triangle neighbourhoods; five "
     "decay schedules; sequential or batch training."),
    ("Quantization and topographic error as it trains; outliers found without labels, as in fraud "
     "detection."),
])
lab_card("labs/rbm_lab.py", "Boltzmann machine (RBM)", ":material/blur_on:", [
    ("Train a restricted Boltzmann machine on handwritten digits with CD-k or persistent CD and watch its "
     "reconstructions sharpen and its hidden units turn into stroke detectors."),
    "Gibbs chains dreaming digits out of noise; free energy of data against the model's samples.",
    "The course's CD-1 example computed pass by pass, every sum shown, then the weight update.",
    "A movie recommender: rate a few films, see which hidden tastes light up and what you would like.",
])
lab_card("labs/rnn_lab.py", "Recurrent networks", ":material/replay:", [
    ("Train a plain RNN, an LSTM or a GRU live on long-range memory, a price series or Shakespeare, one "
     "character at a time."),
    ("The network unrolled over time, each step shaded by the gradient that reaches it: watch it vanish "
     "(W_rec below 1) or explode (above 1), and clipping tame it."),
    "Gates and cell state over time; text coloured by one unit's value; text sampled from the model.",
    "A race of RNN, LSTM and GRU on the same task; truncated backpropagation through time.",
])
lab_card("labs/autoencoder_lab.py", "Autoencoders", ":material/compress:", [
    ("Squeeze 64-pixel digits through a code of two numbers and watch the classes gather in the code "
     "plane, beside PCA's best linear view."),
    ("Decode any point of the code plane, and a grid across it: the variational autoencoder's is smooth, "
     "the plain one's is not."),
    "Denoising (noisy input, clean target, output side by side), sparse and contractive codes, stacked training.",
    "Unroll a curve lifted into 3-D; a movie recommender that fills in the films you have not seen.",
])

st.caption(
    "Tip for lecturers: every lab keeps its whole setup in the page address. Set up a demo, copy "
    "the URL, and the same link opens the same demo on any machine."
)
st.caption(f"Computing on: {backend.describe()}. Set NETPLAY_DEVICE=cpu, cuda or auto to choose.")
