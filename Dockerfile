# syntax=docker/dockerfile:1
#
# Port Ocean integration for Jira Cloud and Jira Data Center/Server.
#
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     --build-arg VERSION=0.2.0 --build-arg REVISION="$(git rev-parse HEAD)" \
#     --build-arg SOURCE_URL=https://github.com/<your-org>/port-ocean-jira \
#     -t "ghcr.io/<your-org>/port-ocean-jira:0.2.0" .
#
# Every dependency comes from requirements.lock (pinned, installed from wheels); no OS
# package is installed, so the same steps run outside Docker:
#   python3.12 -m venv /opt/venv
#   /opt/venv/bin/pip install --no-cache-dir -r requirements.lock && /opt/venv/bin/pip check

ARG PYTHON_IMAGE=python:3.12-slim

# ---------------------------------------------------------------------------
# builder: resolve the locked runtime dependencies into a self-contained venv
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

# Byte-code is compiled here (pip's default): at run time the root filesystem is read-only.
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /build
COPY requirements.lock ./
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir -r requirements.lock \
    && /opt/venv/bin/pip check \
    && chmod -R g=u /opt/venv

# ---------------------------------------------------------------------------
# runtime: slim Python, non-root, read-only friendly
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ARG PYTHON_IMAGE
ARG VERSION=0.2.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE_URL=https://github.com/your-org/port-ocean-jira

LABEL org.opencontainers.image.title="port-ocean-jira" \
      org.opencontainers.image.description="Port Ocean integration that syncs Jira Cloud and Jira Data Center/Server into Port's software catalog" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.documentation="${SOURCE_URL}/blob/main/docs/installation.md" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"

# HOME is where Ocean keeps its caches (/tmp/ocean is also hard-coded in Ocean); in
# Kubernetes /tmp is an emptyDir, so the root filesystem can stay read-only.
# SSL_CERT_FILE makes httpx trust the OS bundle (ca-certificates ships in the base
# image), so a derived image can add a corporate CA with update-ca-certificates.
ENV PATH="/opt/venv/bin:${PATH}" \
    HOME=/tmp/ocean \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    APPLICATION__PORT=8000

# uid 1001 in group 0, and group permissions equal to the owner's: an arbitrary UID
# (OpenShift's restricted SCC runs as a random uid in group 0) can still write HOME.
RUN useradd --uid 1001 --gid 0 --no-create-home --home-dir /tmp/ocean \
        --shell /usr/sbin/nologin ocean \
    && mkdir -p /tmp/ocean /app \
    && chown 1001:0 /tmp/ocean /app \
    && chmod 0775 /tmp/ocean /app \
    && update-ca-certificates

COPY --from=builder --chown=1001:0 /opt/venv /opt/venv

WORKDIR /app
COPY --chown=1001:0 pyproject.toml requirements.lock ./
COPY --chown=1001:0 integrations/ ./integrations/
RUN python -m compileall -q /app/integrations \
    && chmod -R g=u /app

USER 1001
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('APPLICATION__PORT', '8000') + '/health/live', timeout=4)"]

# Plain `ocean sail` from the integration's folder (Ocean reads ./pyproject.toml, ./.port and
# main.py there): what Port's port-ocean chart runs (it sets no command), what our chart runs,
# and the same code path as launch.py. The integration itself sets its defaults (32 event
# workers), exits 2 on bad configuration, and in ONCE mode
# (OCEAN__EVENT_LISTENER='{"type":"ONCE"}') prints the summary and exits 1 when the sync failed.
WORKDIR /app/integrations/jira
CMD ["ocean", "sail"]
