"""Numba kernels: the hot loops of the engine, one file per family.

Every kernel is compiled with ``cache=True`` (the machine code is stored next to the source, so a
second process starts warm) and ``nogil=True`` (sessions can train in parallel threads). Variants
(which activation, which optimizer, which loss) are picked by a small integer code inside one
kernel rather than by compiling one function per variant.
"""

from engine.kernels import lazy

lazy.install()   # before any kernel compiles: machine code only where something runs it (see lazy's doc)
