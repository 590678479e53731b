# What the VPC shapes (ecs, lambda) add to modules/app: the customer-managed KMS key of the deployment (logs,
# secrets, database, function settings). The log group itself, its metric filters and alarms are modules/app's.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region
  partition  = data.aws_partition.current.partition
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
