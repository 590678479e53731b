# What every shape shares, in one place: the gateway's own permissions (Bedrock invoke on the configured models and
# inference profiles only, Secrets Manager under the token prefix only, its own log group, its app secret), the
# app secret itself (DJANGO_SECRET_KEY, generated once), the log group with its retention, the settings every shape
# gives the app, and the scheduled jobs. tests/deploy/test_least_privilege.py holds these permissions, deploy/iam/*.json
# and zappa_settings.json to the same rules.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  full_name  = "${var.name}-${var.environment}"
  tags       = merge({ app = "simple-bedrock-connector", environment = var.environment }, var.tags)

  # Each environment reconciles its own token secrets only (DEPLOYMENT_ID in their tag and in the default prefix).
  deployment_id  = coalesce(var.deployment_id, var.environment)
  secret_prefix  = coalesce(var.secret_prefix, "${var.name}/${var.environment}/tokens/")
  log_group_name = coalesce(var.log_group_name, "/${var.name}/${var.environment}")

  # A cross-region profile (us., eu., apac., global., ...) routes to the model behind it in other regions, so
  # that model is allowed in every region; a plain model id only in the regions the gateway calls.
  profile_models = [for id in var.bedrock_inference_profile_ids : replace(id, "/^[a-z-]+\\./", "")]
  bedrock_resources = distinct(concat(
    flatten([for region in var.bedrock_regions : [
      for id in var.bedrock_model_ids : "arn:${local.partition}:bedrock:${region}::foundation-model/${id}"
    ]]),
    flatten([for region in var.bedrock_regions : [
      for id in var.bedrock_inference_profile_ids : "arn:${local.partition}:bedrock:${region}:${local.account_id}:inference-profile/${id}"
    ]]),
    [for id in local.profile_models : "arn:${local.partition}:bedrock:*::foundation-model/${id}"],
  ))
  secret_arn_prefix = "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${local.secret_prefix}"

  # The app secret: one JSON object of environment variables, read once at start (deploy/app_secret.py).
  secret_values = merge(
    { for key, value in var.secret_values : key => value if value != null },
    { DJANGO_SECRET_KEY = random_password.secret_key.result },
  )
  parameter_name = "/${var.name}/${var.environment}/app"
  parameter_arn  = "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter${local.parameter_name}"
  app_secret_environment = {
    secretsmanager = { SBC_APP_SECRET_ARN = one(aws_secretsmanager_secret.app[*].arn) }
    ssm            = { SBC_APP_SECRET_PARAMETER = local.parameter_name }
    none           = {}
  }[var.secret_store]

  # The settings every shape gives the app; each adds its own (hosts, database, server).
  environment = merge(
    {
      SBC_READ_DOT_ENV    = "0"
      DJANGO_DEBUG        = "false"
      SECURE_SSL_REDIRECT = "true"
      BEDROCK_REGIONS     = join(",", var.bedrock_regions)
      SECRETS_MIRROR      = var.secrets_mirror ? "on" : "off"
      SECRET_PREFIX       = local.secret_prefix
      DEPLOYMENT_ID       = local.deployment_id
      LOG_LEVEL           = "info"
      LOG_PROMPTS         = "false"
    },
    var.alert_sns_topic_arn == null ? {} : { ALERT_SNS_TOPIC_ARN = var.alert_sns_topic_arn },
  )

  # Scheduled jobs (sbcproject/scheduled.py, zappa_settings.json events): the management command and when.
  all_jobs = {
    "sync-secrets"      = { command = "sync_secrets", schedule = "rate(15 minutes)" }
    "clear-sessions"    = { command = "clearsessions", schedule = "cron(17 3 * * ? *)" }
    "purge-responses"   = { command = "purge_responses", schedule = "cron(41 * * * ? *)" }
    "reap-reservations" = { command = "reap_reservations", schedule = "cron(47 */6 * * ? *)" }
  }
  jobs = { for key, job in local.all_jobs : key => job if var.secrets_mirror || key != "sync-secrets" }

  # The gateway's log events (docs/operations.md): `response` carries the HTTP status of every authenticated
  # request; `auth_failure` is written for a refused token; tokens/throttle.py warns when an address is held off.
  metrics = {
    AuthFailures = {
      pattern     = "{ $.event = \"auth_failure\" }"
      threshold   = var.auth_failure_threshold
      description = "Requests refused for a missing, unknown, expired or revoked token"
    }
    AddressesHeldOff = {
      pattern     = "\"failed authentications: refused\""
      threshold   = 1
      description = "A client address used up AUTH_FAILURE_LIMIT failed look-ups and gets 429 until its window ends"
    }
    ServerErrors = {
      pattern     = "{ ($.event = \"response\") && ($.status >= 500) }"
      threshold   = var.server_error_threshold
      description = "Answers with a 5xx status (Bedrock unreachable, internal errors)"
    }
    Throttled = {
      pattern     = "{ ($.event = \"response\") && ($.status = 429) }"
      threshold   = var.throttle_threshold
      description = "Answers with status 429: quotas, per-minute limits or Bedrock throttling"
    }
  }
  alarms = var.alarms_enabled ? local.metrics : {}
}

# --- The app's permissions ----------------------------------------------------------------------------------------
data "aws_iam_policy_document" "app" {
  statement {
    sid       = "BedrockInvokeAlsoCoversConverseAndConverseStream"
    actions   = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    resources = local.bedrock_resources
  }

  dynamic "statement" {
    for_each = var.secrets_mirror ? [1] : []
    content {
      sid = "TokenMirrorUnderTheTokenPrefixOnly"
      actions = [
        "secretsmanager:CreateSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecret",
        "secretsmanager:DescribeSecret",
        "secretsmanager:DeleteSecret",
        "secretsmanager:RestoreSecret",
        "secretsmanager:TagResource",
        "secretsmanager:UntagResource",
      ]
      resources = ["${local.secret_arn_prefix}*"]
    }
  }

  dynamic "statement" {
    for_each = var.secrets_mirror ? [1] : []
    content {
      # sync_secrets lists the secrets under the prefix; ListSecrets has no resource-level scoping.
      sid       = "ListSecretsHasNoResourceLevelScoping"
      actions   = ["secretsmanager:ListSecrets"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.secrets_mirror ? [1] : []
    content {
      # issue_token and the mirror check who they run as; GetCallerIdentity has no resource-level scoping.
      sid       = "WhoAmIForTheMirror"
      actions   = ["sts:GetCallerIdentity"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.app_writes_logs ? [1] : []
    content {
      sid       = "OwnLogGroupOnly"
      actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
    }
  }

  dynamic "statement" {
    for_each = var.secret_store == "secretsmanager" ? [1] : []
    content {
      sid       = "ReadTheAppSecretAtStart"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = aws_secretsmanager_secret.app[*].arn
    }
  }

  dynamic "statement" {
    for_each = var.secret_store == "ssm" ? [1] : []
    content {
      sid       = "ReadTheAppParameterAtStart"
      actions   = ["ssm:GetParameter"]
      resources = [local.parameter_arn]
    }
  }

  dynamic "statement" {
    for_each = var.secret_store == "ssm" && var.kms_key_arn == null ? [1] : []
    content {
      # SecureString under AWS's own aws/ssm key: its id is not known before first use, so the key is named by its
      # alias, and only through Parameter Store.
      sid       = "DecryptTheAppParameterWithTheAwsManagedKey"
      actions   = ["kms:Decrypt"]
      resources = ["arn:${local.partition}:kms:${local.region}:${local.account_id}:key/*"]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["ssm.${local.region}.amazonaws.com"]
      }
      condition {
        test     = "ForAnyValue:StringEquals"
        variable = "kms:ResourceAliases"
        values   = ["alias/aws/ssm"]
      }
    }
  }

  dynamic "statement" {
    for_each = var.remote_env_object_arn == null ? [] : [1]
    content {
      sid       = "ZappaRemoteEnvSecretsFile"
      actions   = ["s3:GetObject"]
      resources = [var.remote_env_object_arn]
    }
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [1]
    content {
      sid       = "DecryptTheAppSecretWithTheDeploymentKey"
      actions   = ["kms:Decrypt"]
      resources = [var.kms_key_arn]
    }
  }

  dynamic "statement" {
    for_each = var.dsql_cluster_arn == null ? [] : [1]
    content {
      # Connects as the app's own database role (AWS IAM GRANT); the admin connect is the migrations role's only.
      sid       = "ConnectToTheClusterAsTheAppRole"
      actions   = ["dsql:DbConnect"]
      resources = [var.dsql_cluster_arn]
    }
  }

  dynamic "statement" {
    for_each = var.alert_sns_topic_arn == null ? [] : [1]
    content {
      sid       = "BudgetAlertsToTheirTopicOnly"
      actions   = ["sns:Publish"]
      resources = [var.alert_sns_topic_arn]
    }
  }
}

# --- The app secret: generated once, read at start, never in the function's or task's plain settings ------------
resource "random_password" "secret_key" {
  length  = 64
  special = false
}

resource "aws_secretsmanager_secret" "app" {
  #checkov:skip=CKV2_AWS_57:Rotated by replacing random_password.secret_key and applying (docs/deploy.md): it signs sessions only, tokens do not depend on it; a rotation Lambda would not restart what read the old value
  #checkov:skip=CKV_AWS_149:The ecs and lambda shapes pass their deployment key (kms_key_arn); without one the secret uses aws/secretsmanager, which a customer key would only add $1/month to
  count                   = var.secret_store == "secretsmanager" ? 1 : 0
  name                    = "${var.name}/app/${var.environment}"
  description             = "DJANGO_SECRET_KEY and the other secret settings of ${local.full_name}"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 7
  tags                    = local.tags
}

resource "aws_secretsmanager_secret_version" "app" {
  count         = var.secret_store == "secretsmanager" ? 1 : 0
  secret_id     = aws_secretsmanager_secret.app[0].id
  secret_string = jsonencode(local.secret_values)
}

# Standard tier: no charge per parameter. Rotated like the secret: replace random_password.secret_key and apply.
resource "aws_ssm_parameter" "app" {
  #checkov:skip=CKV_AWS_337:Encrypted as a SecureString with AWS's aws/ssm key unless kms_key_arn names one; a customer key costs $1/month, the serverless shape's whole idle budget
  count       = var.secret_store == "ssm" ? 1 : 0
  name        = local.parameter_name
  description = "DJANGO_SECRET_KEY and the other secret settings of ${local.full_name} (JSON)"
  type        = "SecureString"
  tier        = "Standard"
  key_id      = var.kms_key_arn
  value       = jsonencode(local.secret_values)
  tags        = local.tags
}

# --- Logs -----------------------------------------------------------------------------------------------------------
resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:The ecs and lambda shapes pass their deployment key (kms_key_arn); the serverless shape keeps CloudWatch's own encryption, as a customer key costs $1/month, its whole idle budget
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = local.tags
}

# Metric filters and alarms on the gateway's own log events (CloudWatch bills each alarm, about $0.10/month).
resource "aws_cloudwatch_log_metric_filter" "this" {
  for_each       = local.alarms
  name           = "${local.full_name}-${each.key}"
  log_group_name = var.log_group_name
  pattern        = each.value.pattern

  metric_transformation {
    name          = each.key
    namespace     = var.metric_namespace
    value         = "1"
    default_value = "0"
    unit          = "Count"
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each            = local.alarms
  alarm_name          = "${local.full_name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = var.metric_namespace
  metric_name         = each.key
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = local.tags

  depends_on = [aws_cloudwatch_log_metric_filter.this]
}

# --- Scheduled jobs on a Lambda function: {"manage": "<command>"}, as Zappa's handler and deploy/lambda_jobs.py take --
resource "aws_cloudwatch_event_rule" "jobs" {
  for_each            = var.lambda_jobs ? local.jobs : {}
  name                = "${local.full_name}-${each.key}"
  description         = "Run ${each.value.command} for ${local.full_name}"
  schedule_expression = each.value.schedule
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "jobs" {
  for_each = var.lambda_jobs ? local.jobs : {}
  rule     = aws_cloudwatch_event_rule.jobs[each.key].name
  arn      = var.jobs_function_arn
  input    = jsonencode({ manage = each.value.command })

  retry_policy {
    maximum_retry_attempts       = 2
    maximum_event_age_in_seconds = 600
  }
}

resource "aws_lambda_permission" "jobs" {
  for_each      = var.lambda_jobs ? local.jobs : {}
  statement_id  = "Schedule-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = var.jobs_function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.jobs[each.key].arn
}
