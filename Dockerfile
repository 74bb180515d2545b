# One image for the three services; compose.yaml picks the service by its command.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# The runtime dependencies at the versions in uv.lock (no dev group) in /opt/venv, with duban installed editable from
# /app: the code finds alembic.ini, migrations/ and data/ beside its own services/ (REPO_ROOT), so `duban migrate`
# and `duban import` work from the installed `duban` command too (a non-editable copy in site-packages looked for
# alembic.ini there). The pinned uv is the Makefile's (UV_VERSION) and pyproject.toml's ([tool.uv] required-version).
ENV UV_PROJECT_ENVIRONMENT=/opt/venv UV_LINK_MODE=copy PATH=/opt/venv/bin:$PATH
RUN pip install --no-cache-dir uv==0.13.9
COPY pyproject.toml uv.lock README.md ./
COPY services ./services
RUN uv sync --frozen --no-dev --no-cache --compile-bytecode
COPY alembic.ini ./
COPY migrations ./migrations
# The services run as nobody, who cannot write __pycache__: compiled here, or every start compiles them again (with
# the packages compiled above, a service starts in half the time and 7 MB smaller).
RUN python -m compileall -q services migrations
COPY data ./data
# The evidence store's directories (EVIDENCE_DIR), owned by the user the services run as: a volume mounted there
# (compose.yaml) starts as a copy of them, writable.
RUN mkdir -p var/evidence/tasks_api var/evidence/reporting_api && chown -R nobody:nogroup var
USER nobody
