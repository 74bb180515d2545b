# One image for the three services; compose.yaml picks the service by its command.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY services ./services
RUN pip install --no-cache-dir .
COPY alembic.ini ./
COPY migrations ./migrations
COPY data ./data
USER nobody
