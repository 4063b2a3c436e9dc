# Hotline server. Embedded default (SQLite in /data) unless HOTLINE_DATABASE_URL and
# HOTLINE_REDIS_URL point at PostgreSQL and Redis.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HOTLINE_HTTP_HOST=0.0.0.0 HOTLINE_HTTP_PORT=8000 \
    HOTLINE_SIP_HOST=0.0.0.0 HOTLINE_SIP_PORT=5060 \
    HOTLINE_VAR_DIR=/data

WORKDIR /srv/hotline
COPY pyproject.toml README.md ./
COPY app ./app
COPY routing ./routing
COPY agents ./agents
COPY ivr ./ivr
COPY config ./config
COPY migrations ./migrations
RUN pip install --no-cache-dir . && useradd --system --home /data hotline \
    && mkdir -p /data && chown hotline /data

USER hotline
VOLUME ["/data"]
EXPOSE 8000 5060/udp
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,os; urllib.request.urlopen('http://127.0.0.1:%s/api/health' % os.environ['HOTLINE_HTTP_PORT'])"
CMD ["hotline", "serve"]
