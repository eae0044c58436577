"""Numba kernels: the hot loops of the engine, one file per family.

Every kernel is compiled with ``cache=True`` (the machine code is stored next to the source, so a
second process starts warm) and ``nogil=True`` (sessions can train in parallel threads). Variants
(which activation, which optimizer, which loss) are picked by a small integer code inside one
kernel rather than by compiling one function per variant.
"""

from engine.kernels import lazy

lazy.install()   # before any kernel compiles: machine code only where something runs it (see lazy's doc)


def _quick_flag_comparisons() -> None:
    """Numba's compile flags compared and hashed without a property call per option.

    Type inference looks each call's typing up in a cache keyed by the compile's flags, tens of
    thousands of times per warm-up; Numba hashes and compares a ``TargetConfig`` by building a dict
    of its 22 options through their properties (``values()``), several times per lookup. The same
    results, read from the options' stored values and defaults: about 1.2 CPU-s of a cold warm-up
    (30.9 against 32.1 s, four runs of each side at once on this 2-core VM). ``__hash__`` was
    already a constant per class (Numba's hashes the sorted option *names*); it is computed once.
    """
    from numba.core import targetconfig
    from numba.core.compiler import Flags

    config = targetconfig.TargetConfig
    if getattr(config, "_netplay_quick", False):
        return
    numba_values = config.values

    def values(self):
        stored = self._values
        return {name: stored.get(name, option._default) for name, option in self.options.items()}

    def __hash__(self):
        cls = type(self)
        known = cls.__dict__.get("_netplay_hash")
        if known is None:
            known = hash(tuple(sorted(self.options)))
            cls._netplay_hash = known
        return known

    def __eq__(self, other):
        if isinstance(other, targetconfig.TargetConfig):
            return self is other or values(self) == values(other)
        return NotImplemented

    if all(hasattr(option, "_default") for option in Flags.options.values()) and \
            numba_values.__qualname__ == "TargetConfig.values":   # the Numba this was written for
        config.values, config.__hash__, config.__eq__ = values, __hash__, __eq__
        config._netplay_quick = True


_quick_flag_comparisons()
