# The gateway's own permissions, the same for every shape: Bedrock invoke on the configured models and inference
# profiles only, Secrets Manager under the token prefix only, CloudWatch Logs on its group only. The rules are
# checked against deploy/iam-policy.json and zappa_settings.json by tests/deploy/test_least_privilege.py.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

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
  secret_arn_prefix = "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${var.secret_prefix}"
}

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
    for_each = var.log_group_arn == null ? [] : [1]
    content {
      sid       = "OwnLogGroupOnly"
      actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      resources = ["${var.log_group_arn}:*"]
    }
  }

  dynamic "statement" {
    for_each = var.app_secret_arn == null ? [] : [1]
    content {
      sid       = "ReadTheAppSecretAtStart"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [var.app_secret_arn]
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
    for_each = var.alert_sns_topic_arn == null ? [] : [1]
    content {
      sid       = "BudgetAlertsToTheirTopicOnly"
      actions   = ["sns:Publish"]
      resources = [var.alert_sns_topic_arn]
    }
  }
}
