#!/bin/sh
# The handler of the streaming Lambda function (zappa_settings.json stage `serverless`, docs/zappa.md). The Lambda
# Web Adapter layer's wrapper (AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap) runs this script once per execution
# environment; the adapter then forwards each function URL request to gunicorn on 127.0.0.1:$AWS_LWA_PORT and
# streams the answer back (AWS_LWA_INVOKE_MODE=response_stream). gunicorn starts through deploy/app_secret.py, which
# first reads DJANGO_SECRET_KEY from the parameter SBC_APP_SECRET_PARAMETER names (or the secret SBC_APP_SECRET_ARN
# names). The package's own libraries come before the runtime's; Lambda's file system is read-only but /tmp, so
# gunicorn opens no control socket.
set -eu
cd "${LAMBDA_TASK_ROOT:-$(dirname "$0")}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-sbcproject.settings}"
export GUNICORN_BIND="127.0.0.1:${AWS_LWA_PORT:-8080}"
export GUNICORN_CMD_ARGS="${GUNICORN_CMD_ARGS:---no-control-socket}"
exec python -m deploy.app_secret python -m gunicorn -c sbcproject/gunicorn.conf.py
