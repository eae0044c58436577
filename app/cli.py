"""`netplay`: start the Streamlit app with the project's server settings."""
from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

# One BLAS thread per server process, set before NumPy or SciPy load OpenBLAS. A session's kernels
# call BLAS on small matrices (a recurrent step's 32 x 32 by 32 x 128 product); with a thread per
# core, OpenBLAS's helpers spin while they wait and a frame cost twice the CPU for 15 % less wall
# time (the recurrent lab: 27 ms of CPU against 15 ms for the same frame). A public server runs
# one process per core and many sessions in each: they are the parallelism. Set the variable
# yourself to override.
SERVER_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
for _var, _value in SERVER_ENV.items():
    os.environ.setdefault(_var, _value)

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".streamlit" / "config.toml"


def config_flags(path: Path = CONFIG) -> list[str]:
    """The config file as `--section.option=value` flags, so it applies from any directory."""
    if not path.exists():
        return ["--server.headless=true", "--browser.gatherUsageStats=false"]
    flags = []

    def walk(prefix: str, table: dict) -> None:  # [theme.dark] is a table inside [theme]
        for option, value in table.items():
            if isinstance(value, dict):
                walk(f"{prefix}{option}.", value)
            else:
                text = str(value).lower() if isinstance(value, bool) else str(value)
                flags.append(f"--{prefix}{option}={text}")

    walk("", tomllib.loads(path.read_text()))
    return flags


def warmup() -> int:
    """`netplay warmup`: compile every kernel family into Numba's disk cache (a Docker build, or
    deploy/serve.py before it starts its processes), so a server's first visitor never waits."""
    import engine

    print(f"netplay: kernels ready in {engine.warmup():.1f} s", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["warmup"]:
        return warmup()
    from streamlit.web import cli as stcli

    sys.argv = ["streamlit", "run", str(ROOT / "app" / "server.py"), *config_flags(), *args]
    port = next((a.split("=", 1)[1] for a in args if a.startswith("--server.port=")), "8501")
    print(f"netplay: open http://localhost:{port}", flush=True)
    return stcli.main()


if __name__ == "__main__":
    raise SystemExit(main())
