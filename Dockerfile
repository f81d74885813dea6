FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
      fonts-noto-core fonts-liberation2 fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz-subset0 libmagic1 gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DJANGO_SECRET_KEY=build-only-key-build-only-key-build-only-key-0123456789 \
    DJANGO_DEBUG=0 DJANGO_ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput
RUN useradd --system motcua && mkdir -p /data/media && chown motcua /data/media
USER motcua
EXPOSE 8000
