# The serverless shape, about $0 while idle: one Lambda function outside any VPC running the app under the Lambda
# Web Adapter (gunicorn, answers streamed through a function URL in RESPONSE_STREAM mode), Aurora DSQL as the
# database (IAM authentication on a public endpoint, no password), the secret key in one SSM SecureString, the
# scheduled jobs on EventBridge, and an optional custom domain through API Gateway REST in stream mode. Nothing
# bills by the hour: no VPC, NAT, endpoints, RDS or RDS Proxy, and no customer-managed KMS key.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region
  partition  = data.aws_partition.current.partition
  full_name  = module.app.full_name
  tags       = module.app.tags
  runtime    = "python3.11"

  # AWS's published Web Adapter layer (account 753240598075), pinned: the adapter starts gunicorn through the
  # handler script and turns each invocation into an HTTP request to it.
  web_adapter_layer = join(":", [
    "arn:${local.partition}:lambda:${local.region}:753240598075:layer",
    var.architecture == "arm64" ? "LambdaAdapterLayerArm64" : "LambdaAdapterLayerX86",
    tostring(var.web_adapter_layer_version),
  ])

  # DSQL: the connector signs each connection with an IAM token for the user in the URL (sbcproject/settings.py).
  dsql_endpoint   = "${aws_dsql_cluster.this.identifier}.dsql.${local.region}.on.aws"
  database_url    = "dsql://${var.db_user}@${local.dsql_endpoint}/postgres"
  admin_url       = "dsql://admin@${local.dsql_endpoint}/postgres"
  public_base_url = var.domain_name != null ? "https://${var.domain_name}" : var.public_base_url

  environment = merge(
    module.app.environment,
    {
      DJANGO_ALLOWED_HOSTS = join(",", compact([".lambda-url.${local.region}.on.aws", var.domain_name]))
      # Not a secret: DSQL has no password, the role's IAM token is the credential.
      DATABASE_URL = local.database_url
      # One request per execution environment: one worker with a few threads.
      WEB_CONCURRENCY  = "1"
      GUNICORN_THREADS = "8"
    },
    {
      for key, value in {
        PUBLIC_BASE_URL             = local.public_base_url
        DJANGO_CSRF_TRUSTED_ORIGINS = var.domain_name == null ? null : "https://${var.domain_name}"
      } : key => value if value != null
    },
    # The start script reads DJANGO_SECRET_KEY from this parameter (deploy/app_secret.py).
    module.app.app_secret_environment,
    var.environment_variables,
  )
  # The Web Adapter: exec wrapper, the port gunicorn listens on (run.sh binds it), readiness path, streamed answers.
  web_adapter_environment = {
    AWS_LAMBDA_EXEC_WRAPPER      = "/opt/bootstrap"
    AWS_LWA_PORT                 = "8080"
    AWS_LWA_READINESS_CHECK_PATH = "/healthz"
    AWS_LWA_INVOKE_MODE          = "response_stream"
  }
}

module "app" {
  source                        = "../app"
  name                          = var.name
  environment                   = var.environment
  deployment_id                 = var.deployment_id
  tags                          = var.tags
  bedrock_regions               = var.bedrock_regions
  bedrock_model_ids             = var.bedrock_model_ids
  bedrock_inference_profile_ids = var.bedrock_inference_profile_ids
  secrets_mirror                = var.secrets_mirror
  secret_prefix                 = var.secret_prefix
  alert_sns_topic_arn           = var.alert_sns_topic_arn
  secret_store                  = "ssm"
  dsql_cluster_arn              = aws_dsql_cluster.this.arn
  log_retention_days            = var.log_retention_days
  alarms_enabled                = var.alarms_enabled
  alarm_actions                 = var.alarm_actions
  lambda_jobs                   = true
  jobs_function_name            = aws_lambda_function.jobs.function_name
  jobs_function_arn             = aws_lambda_function.jobs.arn
}

# --- Database -------------------------------------------------------------------------------------------------------
resource "aws_dsql_cluster" "this" {
  deletion_protection_enabled = var.deletion_protection
  tags                        = merge(local.tags, { Name = local.full_name })
}

# --- Functions: the gateway, its scheduled jobs, and migrations (one zip, three entry points) ----------------------
# The zip is `make package STAGE=serverless` (Zappa's package, arm64): run.sh starts the app under the Web Adapter;
# deploy.lambda_jobs.zappa_handler reads the app secret, then Zappa's handler runs {"manage": "<command>"}.
resource "aws_lambda_function" "gateway" {
  #checkov:skip=CKV_AWS_117:Outside any VPC on purpose: Bedrock, DSQL, SSM and CloudWatch are reached on their public endpoints with IAM, and a VPC would need NAT or endpoints billed by the hour
  #checkov:skip=CKV_AWS_173:The settings hold no secret (DSQL has no password; the secret key is read from SSM at start); a customer key would cost $1/month, the shape's whole idle budget
  #checkov:skip=CKV_AWS_50:X-Ray needs xray:PutTraceSegments on "*"; each request's latency is in the gateway's own response event
  #checkov:skip=CKV_AWS_116:Invoked synchronously through the function URL: a failed request is answered, there is nothing to redeliver
  #checkov:skip=CKV_AWS_272:The package is built from hash-pinned requirements; code signing needs a signing profile per deployer
  function_name                  = local.full_name
  description                    = "Simple Bedrock Connector (${var.environment}), streamed by the Lambda Web Adapter"
  role                           = aws_iam_role.gateway.arn
  runtime                        = local.runtime
  handler                        = var.handler
  s3_bucket                      = var.package_bucket
  s3_key                         = var.package_key
  architectures                  = [var.architecture]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrency
  layers                         = [local.web_adapter_layer]
  tags                           = local.tags

  environment {
    variables = merge(local.environment, local.web_adapter_environment)
  }

  logging_config {
    log_format = "Text"
    log_group  = module.app.log_group_name
  }

  depends_on = [aws_iam_role_policy.gateway]
}

# Scheduled jobs: {"manage": "<command>"} from EventBridge (modules/app), one management command per invocation.
resource "aws_lambda_function" "jobs" {
  #checkov:skip=CKV_AWS_117:Outside any VPC on purpose, like the gateway: every service it calls has a public endpoint
  #checkov:skip=CKV_AWS_173:The settings hold no secret; a customer key would cost $1/month, the shape's whole idle budget
  #checkov:skip=CKV_AWS_50:X-Ray needs xray:PutTraceSegments on "*"; the jobs log to the gateway's group
  #checkov:skip=CKV_AWS_116:EventBridge retries a failed run twice, and the next scheduled run repeats the job anyway
  #checkov:skip=CKV_AWS_272:The package is built from hash-pinned requirements; code signing needs a signing profile per deployer
  function_name                  = "${local.full_name}-jobs"
  description                    = "Simple Bedrock Connector (${var.environment}): scheduled jobs"
  role                           = aws_iam_role.gateway.arn
  runtime                        = local.runtime
  handler                        = "deploy.lambda_jobs.zappa_handler"
  s3_bucket                      = var.package_bucket
  s3_key                         = var.package_key
  architectures                  = [var.architecture]
  memory_size                    = var.memory_size
  timeout                        = 900
  reserved_concurrent_executions = 2
  tags                           = local.tags

  environment {
    variables = local.environment
  }

  logging_config {
    log_format = "Text"
    log_group  = module.app.log_group_name
  }

  depends_on = [aws_iam_role_policy.gateway]
}

# `migrate` (and any other command an operator sends) as the cluster's admin, with a role of its own: the only
# role allowed dsql:DbConnectAdmin. Nothing schedules it.
resource "aws_lambda_function" "migrations" {
  #checkov:skip=CKV_AWS_117:Outside any VPC on purpose, like the gateway: DSQL and SSM have public endpoints
  #checkov:skip=CKV_AWS_173:The settings hold no secret (the admin connects with an IAM token); a customer key would cost $1/month
  #checkov:skip=CKV_AWS_50:X-Ray needs xray:PutTraceSegments on "*"; a migration's output is in the log group
  #checkov:skip=CKV_AWS_116:Invoked synchronously by an operator, who sees the result and runs it again
  #checkov:skip=CKV_AWS_272:The package is built from hash-pinned requirements; code signing needs a signing profile per deployer
  function_name                  = "${local.full_name}-migrations"
  description                    = "Simple Bedrock Connector (${var.environment}): migrate as the database admin"
  role                           = aws_iam_role.migrations.arn
  runtime                        = local.runtime
  handler                        = "deploy.lambda_jobs.zappa_handler"
  s3_bucket                      = var.package_bucket
  s3_key                         = var.package_key
  architectures                  = [var.architecture]
  memory_size                    = var.memory_size
  timeout                        = 900
  reserved_concurrent_executions = 1
  tags                           = local.tags

  environment {
    variables = merge(local.environment, { DATABASE_URL = local.admin_url })
  }

  logging_config {
    log_format = "Text"
    log_group  = module.app.log_group_name
  }

  depends_on = [aws_iam_role_policy.migrations]
}

# --- The function URL: streamed answers, authenticated by the gateway's own bearer tokens ------------------------
resource "aws_lambda_function_url" "gateway" {
  #checkov:skip=CKV_AWS_258:The gateway authenticates every request with its own bearer tokens; OpenAI and Anthropic clients cannot sign SigV4
  function_name      = aws_lambda_function.gateway.function_name
  authorization_type = "NONE"
  invoke_mode        = "RESPONSE_STREAM"
}

# Both statements are needed for function URLs created since October 2025.
resource "aws_lambda_permission" "url" {
  #checkov:skip=CKV_AWS_301:The function URL is the gateway's public entry point; the gateway authenticates every request itself
  statement_id           = "FunctionUrlPublic"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.gateway.function_name
  principal              = "*"
  function_url_auth_type = "NONE"
}

resource "aws_lambda_permission" "url_invoke" {
  #checkov:skip=CKV_AWS_301:Only through the function URL (invoked_via_function_url), where the gateway authenticates every request
  statement_id             = "FunctionUrlInvoke"
  action                   = "lambda:InvokeFunction"
  function_name            = aws_lambda_function.gateway.function_name
  principal                = "*"
  invoked_via_function_url = true
}

# --- Cost: an optional AWS Budgets alarm on the account's month ------------------------------------------------------
resource "aws_budgets_budget" "monthly" {
  count        = var.monthly_budget_usd == null ? 0 : 1
  name         = "${local.full_name}-monthly"
  budget_type  = "COST"
  limit_amount = tostring(var.monthly_budget_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = 80
    threshold_type             = "PERCENTAGE"
    notification_type          = "ACTUAL"
    subscriber_email_addresses = var.budget_emails
  }

  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = 100
    threshold_type             = "PERCENTAGE"
    notification_type          = "FORECASTED"
    subscriber_email_addresses = var.budget_emails
  }
}
