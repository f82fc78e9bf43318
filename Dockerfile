# The service's production image: docker-compose.yml runs the API, the worker and the store migrations from it.
# Only the service: every package from requirements.lock, checked against its pinned hashes; no sandboxes, no
# dev stack, no tests or dev tools (.dockerignore keeps them out of the build context).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 service
WORKDIR /app
COPY requirements.lock .
RUN pip install --require-hashes -r requirements.lock
COPY . .
RUN pip install --no-deps --no-build-isolation . && rm -rf build && chown -R service:service /app

USER service
ENV ENVIRONMENT=production \
    BIND_HOST=0.0.0.0 \
    DATA_DIR=/home/service/data
EXPOSE 8700 9464
CMD ["python", "-m", "workers"]
