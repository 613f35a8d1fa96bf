# The `lab` service of docker-compose.yml: JupyterLab with jslab and the notebook series.
#   docker compose up -d --build    then open the URL `docker compose logs lab` prints
FROM python:3.12.8-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    JSLAB_NO_BROWSER=1

RUN useradd --create-home --uid 1000 lab
WORKDIR /home/lab/jslab

# Dependencies first, so editing a notebook does not reinstall them.
COPY --chown=lab:lab pyproject.toml README.md ./
COPY --chown=lab:lab jslab/__init__.py jslab/__init__.py
RUN pip install . && pip uninstall --yes jslab

COPY --chown=lab:lab jslab jslab
COPY --chown=lab:lab notebooks notebooks
# Editable: `jslab lab` opens the series that sits beside the package.
RUN pip install --no-deps -e .

USER lab
EXPOSE 8888
CMD ["jslab", "lab", "--no-browser", "--ip", "0.0.0.0", "--port", "8888"]
