# Two roles: the gateway's (and its scheduled jobs') with modules/app's policy, which connects to DSQL as the app's
# own database role; and the migrations role, the only one allowed the admin connect.

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "gateway" {
  name               = "${local.full_name}-lambda"
  assume_role_policy = data.aws_iam_policy_document.trust.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "gateway" {
  name   = "gateway"
  role   = aws_iam_role.gateway.id
  policy = module.app.policy_json
}

resource "aws_iam_role" "migrations" {
  name               = "${local.full_name}-migrations"
  assume_role_policy = data.aws_iam_policy_document.trust.json
  tags               = local.tags
}

data "aws_iam_policy_document" "migrations" {
  statement {
    sid       = "ConnectToTheClusterAsItsAdmin"
    actions   = ["dsql:DbConnectAdmin"]
    resources = [aws_dsql_cluster.this.arn]
  }

  statement {
    sid       = "ReadTheAppParameterAtStart"
    actions   = ["ssm:GetParameter"]
    resources = [module.app.app_parameter_arn]
  }

  statement {
    # SecureString under AWS's own aws/ssm key, named by its alias and used only through Parameter Store.
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

  statement {
    sid       = "OwnLogGroupOnly"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${module.app.log_group_arn}:*"]
  }
}

resource "aws_iam_role_policy" "migrations" {
  name   = "migrations"
  role   = aws_iam_role.migrations.id
  policy = data.aws_iam_policy_document.migrations.json
}
