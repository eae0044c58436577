"""Home: what netplay is and what each lab teaches."""
import streamlit as st

st.title(":material/neurology: netplay")
st.markdown(
    "A playground for neural networks: every control changes a real computation, every plot shows "
    "the engine's real state. Poke at it alone, or project it in a lecture hall."
)

st.subheader("Labs")
with st.container(border=True):
    st.page_link("labs/neuron_lab.py", label="**Neuron & activations**", icon=":material/bolt:")
    st.markdown(
        "- **McCulloch-Pitts unit**: a neuron with no weights, only a threshold θ. θ = 1 makes OR, "
        "θ = n makes AND, and one inhibitory input can veto everything.\n"
        "- **Rosenblatt perceptron**: watch the decision line move epoch by epoch as it learns AND, "
        "OR and NAND, and see why it never settles on XOR.\n"
        "- **Activation gallery**: every common activation and its derivative; where they saturate, "
        "why the sigmoid's slope never beats 0.25, how ReLU units die.\n"
        "- **Softmax**: turn any scores into probabilities and feel what temperature does."
    )

with st.container(border=True):
    st.page_link("labs/playground.py", label="**Network playground**", icon=":material/hub:")
    st.markdown(
        "- Train a real network live on 2-D data (circle, XOR, spiral, Gaussians, 3+ class blobs, "
        "regression, or your own CSV) and watch its decision boundary form.\n"
        "- Every neuron drawn as what it computes; links coloured and thickened by weight.\n"
        "- Any depth up to 8 layers of 32, per-layer activations, feature crosses, every optimizer, "
        "batch size, L1/L2, dropout, early stopping, gradient clipping.\n"
        "- Loss curves, accuracy / precision / recall / AUC, per-layer gradient sizes (vanishing "
        "gradients) and dead ReLUs; one-click teaching presets."
    )

with st.container(border=True):
    st.page_link("labs/optimizer_lab.py", label="**Gradient descent & optimizers**", icon=":material/trending_down:")
    st.markdown(
        "- Race GD, SGD, momentum, Nesterov, AdaGrad, RMSprop, Adam, Adadelta and Nadam across a bowl, "
        "a ravine, a saddle, local minima, Rosenbrock, Beale, Himmelblau or a real network's loss.\n"
        "- Sweep one learning rate: too small crawls, right converges, too large oscillates or diverges.\n"
        "- The ball on a curve: one weight, the loss as a curve, a circle per gradient step.\n"
        "- See the step size each parameter actually gets: AdaGrad's shrinking, Adam's rescaling."
    )

with st.container(border=True):
    st.page_link("labs/cnn_lab.py", label="**Convolutional network**", icon=":material/filter_center_focus:")
    st.markdown(
        "- Slide edge, blur, sharpen or emboss kernels (or your own numbers) over sample images or your "
        "own upload; stride, padding, ReLU and max / average / sum pooling side by side.\n"
        "- Click any cell of a feature map and see the window, the products and the sum that made it; "
        "the winning cell of each pooling window.\n"
        "- A shape calculator that reproduces the course's Keras CNN and VGG16 to the last parameter.\n"
        "- Train a small CNN on handwritten digits live: its filters, feature maps, softmax, confusion matrix."
    )

with st.container(border=True):
    st.page_link("labs/som_lab.py", label="**Self-organizing map**", icon=":material/grid_view:")
    st.markdown(
        "- Watch the best-matching unit pull its neighbourhood towards each sample, and the radius "
        "shrink step by step as the map organises.\n"
        "- Colours painted as a map, 2-D shapes covered by an elastic net, iris flowers and 15-feature "
        "applications read through the U-matrix.\n"
        "- Rectangular or hexagonal grids; Gaussian, bubble, Mexican-hat and triangle neighbourhoods; "
        "five decay schedules; sequential or batch training.\n"
        "- Quantization and topographic error as it trains; outliers found without labels, as in "
        "fraud detection."
    )

with st.container(border=True):
    st.page_link("labs/rbm_lab.py", label="**Boltzmann machine (RBM)**", icon=":material/blur_on:")
    st.markdown(
        "- Train a restricted Boltzmann machine on handwritten digits with CD-k or persistent CD and "
        "watch its reconstructions sharpen and its hidden units turn into stroke detectors.\n"
        "- Gibbs chains dreaming digits out of noise; free energy of data against the model's samples.\n"
        "- The course's CD-1 example computed pass by pass, every sum shown, then the weight update.\n"
        "- A movie recommender: rate a few films, see which hidden tastes light up and what you would like."
    )

st.caption(
    "Tip for lecturers: every lab keeps its whole setup in the page address. Set up a demo, copy "
    "the URL, and the same link opens the same demo on any machine."
)
