# What every shape shares: the customer-managed KMS key (logs, secrets, database, function settings), the log
# group the gateway writes its JSON events to, and the metric filters and alarms on those events.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region
  partition  = data.aws_partition.current.partition

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
}

resource "aws_kms_key" "this" {
  description             = "${var.name}: log events, secrets, database and function settings"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

# A key policy, not a role's policy: "*" as resource means this key. The account keeps administering it through
# IAM; CloudWatch Logs may use it for this deployment's log groups only.
data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:In a key policy the resource "*" is the key itself; the account root statement is the documented default that lets IAM policies govern the key
  #checkov:skip=CKV_AWS_111:Same: a key policy's "*" resource is this key only
  #checkov:skip=CKV_AWS_356:Same: a key policy's "*" resource is this key only
  statement {
    sid       = "AccountAdministersTheKeyThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogsEncryptsThisDeploymentsGroups"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values = [
        "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${var.log_group_name}",
        "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:aws-waf-logs-${var.name}",
      ]
    }
  }
}

resource "aws_cloudwatch_log_group" "this" {
  name              = var.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = var.tags
}

resource "aws_cloudwatch_log_metric_filter" "this" {
  for_each       = local.metrics
  name           = "${var.name}-${each.key}"
  log_group_name = aws_cloudwatch_log_group.this.name
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
  for_each            = local.metrics
  alarm_name          = "${var.name}-${each.key}"
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
  tags                = var.tags

  depends_on = [aws_cloudwatch_log_metric_filter.this]
}
