# The service's one image: docker-compose.yml runs the API, the worker and the store migrations from it.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 service
WORKDIR /app
COPY . .
RUN pip install . && chown -R service:service /app

USER service
ENV BIND_HOST=0.0.0.0 \
    DATA_DIR=/home/service/data
EXPOSE 8700 9464
CMD ["python", "-m", "workers"]
