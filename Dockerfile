# netplay for a cluster: one process per container (scale with replicas), kernels compiled at
# build time so a new pod serves its first page in seconds. Numba's cache is tied to the CPU it
# was built on: pods on another CPU model recompile once (about 75 CPU-s) and then cache.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NUMBA_CACHE_DIR=/opt/netplay/numba-cache

RUN useradd --create-home --uid 10001 netplay
WORKDIR /opt/netplay
COPY pyproject.toml README.md ./
COPY engine ./engine
COPY app ./app
COPY assets ./assets
COPY .streamlit ./.streamlit
# editable, as the README installs it: the app finds .streamlit/ and assets/ beside its code
RUN pip install --no-cache-dir -e . \
    && netplay warmup \
    && chown -R netplay:netplay /opt/netplay

USER 10001
EXPOSE 8501
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=2)"]
CMD ["netplay", "--server.address=0.0.0.0", "--server.port=8501"]
