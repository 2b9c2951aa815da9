# The product image (worker, decision page, codec endpoint, setup, migrations), without its
# test dependencies, run as a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
RUN useradd --create-home --uid 10001 escalation
COPY pyproject.toml README.md ./
COPY models ./models
COPY workflows ./workflows
COPY activities ./activities
COPY starter ./starter
COPY packs ./packs
COPY workdays ./workdays
COPY records ./records
COPY codec ./codec
COPY web ./web
COPY schemas ./schemas
COPY templates ./templates
COPY telemetry ./telemetry
COPY console ./console
COPY worker.py settings.py ./
# [tracing]: OpenTelemetry, so setting OTEL_EXPORTER_OTLP_ENDPOINT is all tracing needs.
RUN pip install --no-cache-dir ".[tracing]"
# PYTHONDONTWRITEBYTECODE stops the (read-only, non-root) app from writing bytecode at run time, and
# `python worker.py` imports these sources, not pip's compiled copies: without this step every
# workflow the sandbox loads recompiles its module from source (README "Benchmark").
RUN python -m compileall -q /app
USER escalation
CMD ["python", "worker.py"]
