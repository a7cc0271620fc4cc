# The Fengshou application image: one image for the web app (`serve`), the outbox
# `worker` and one-shot commands (`db upgrade`). Python packages come from PyPI only.

ARG PYTHON_IMAGE=python:3.11-slim

# ---------------------------------------------------------------------------- build
FROM ${PYTHON_IMAGE} AS build

ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"

# The virtual environment lives at the path it will have in the final image (its scripts'
# shebangs and the editable install's .pth file point there). uv uses the image's Python
# and never downloads one.
ENV UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1

WORKDIR /app

# Dependencies first, from the lock file alone, so that this layer survives code changes.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

# Then the project itself. It stays an editable install on purpose: the code finds
# alembic.ini, migrations/, templates/, static/ and data/ relative to the source tree.
COPY . .
RUN uv sync --frozen --no-dev \
 && .venv/bin/python -m compileall -q app search migrations
# The English catalog, when there is one (Chinese is the source language and needs none).
# A catalog that does not compile fails the build.
RUN if [ -n "$(find app/translations -name messages.po 2>/dev/null)" ]; then \
        .venv/bin/pybabel compile --use-fuzzy -d app/translations -D messages; \
    fi

# -------------------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN groupadd --system --gid 10001 fengshou \
 && useradd --system --uid 10001 --gid fengshou --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin fengshou

# The Chinese font that PDF certificates and statements are drawn with (app/proof/pdf.py).
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-microhei \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Code and environment stay owned by root (read-only to the app); only var/ is writable.
COPY --from=build /app /app
RUN mkdir -p /app/var/media /app/var/mail \
 && chown -R fengshou:fengshou /app/var

USER fengshou

EXPOSE 8000

# No curl in the slim image: ask /healthz with Python's standard library.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

# Migrations are applied by `fengshou db upgrade` (the compose `migrate` service), not here.
CMD ["fengshou", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-migrate"]
