# syntax=docker/dockerfile:1
# The gateway under gunicorn: the streaming deployment (ECS/Fargate behind an ALB, App Runner, EC2),
# with --target lambda the same image on Lambda behind the Lambda Web Adapter (response streaming), and with
# --target jobs the Lambda function that runs the scheduled commands (deploy/terraform).
# No secret is baked in: DJANGO_SECRET_KEY, DATABASE_URL and the rest come from the task's environment.

FROM python:3.11-slim AS app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# Dependencies first, so code changes do not reinstall them: exactly the versions and hashes of the lock file
# (`make lock` regenerates it from pyproject.toml), nothing resolved at build time. The project itself is not
# installed: it ships no package of its own (pyproject's `packages = []`) and runs from /app.
COPY requirements/lock.txt ./requirements/lock.txt
RUN pip install --require-hashes --no-deps -r requirements/lock.txt && pip check

COPY manage.py ./
COPY sbcproject ./sbcproject
COPY core ./core
COPY audit ./audit
COPY tokens ./tokens
COPY usage ./usage
COPY gateway ./gateway
COPY portal ./portal
COPY templates ./templates
COPY deploy/__init__.py deploy/app_secret.py deploy/lambda_jobs.py ./deploy/
COPY deploy/cost/prices.toml ./deploy/cost/
# Static files are collected at build time and served by WhiteNoise from the image. The key below only
# lets settings load for collectstatic; it is not kept in the image's environment.
RUN SBC_READ_DOT_ENV=0 DATABASE_URL=sqlite:///:memory: DJANGO_SECRET_KEY=collectstatic-only-not-a-secret-0123456789 \
    python manage.py collectstatic --no-input -v 0
# The project's bytecode is written now: the user below cannot write /app, nor can Lambda, so a module without it
# would be compiled again at every start (pip already compiled the libraries).
RUN python -m compileall -q --invalidation-mode unchecked-hash sbcproject core audit tokens usage gateway portal deploy

RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin sbc
USER 10001
# The image has no writable home, and a container is managed through its orchestrator, not through
# gunicorn's control socket.
ENV DJANGO_SETTINGS_MODULE=sbcproject.settings \
    SBC_READ_DOT_ENV=0 \
    GUNICORN_BIND=0.0.0.0:8000 \
    GUNICORN_CMD_ARGS=--no-control-socket
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["python", "-m", "gunicorn", "-c", "sbcproject/gunicorn.conf.py"]

# Lambda with the Lambda Web Adapter: the extension starts with the function, forwards each invocation to
# gunicorn on port 8000 and streams the answer back through a function URL in RESPONSE_STREAM mode.
# One request per execution environment, so one worker with a few threads is enough. gunicorn starts through
# deploy/app_secret.py, which reads DJANGO_SECRET_KEY and DATABASE_URL from the secret SBC_APP_SECRET_ARN names.
FROM app AS lambda
COPY --from=public.ecr.aws/awsguru/aws-lambda-adapter:0.9.1 /lambda-adapter /opt/extensions/lambda-adapter
ENV AWS_LWA_PORT=8000 \
    AWS_LWA_READINESS_CHECK_PATH=/healthz \
    AWS_LWA_INVOKE_MODE=response_stream \
    WEB_CONCURRENCY=1 \
    GUNICORN_THREADS=8
CMD ["python", "-m", "deploy.app_secret", "python", "-m", "gunicorn", "-c", "sbcproject/gunicorn.conf.py"]

# The Lambda jobs function (deploy/terraform/modules/lambda): the scheduled commands and `migrate`, one
# {"manage": "<command>"} event per invocation, like the Zappa package. No Web Adapter and no health check.
FROM app AS jobs
HEALTHCHECK NONE
CMD ["python", "-m", "deploy.lambda_jobs"]

# The default target: the container for ECS/Fargate.
FROM app AS server
