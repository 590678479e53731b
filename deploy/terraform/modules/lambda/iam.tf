# One role for the gateway and its jobs function, named as zappa_settings.json's role_arn expects
# (<name>-<stage>-lambda): the gateway's own policy (modules/app) plus what Lambda needs to join the VPC.

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

resource "aws_iam_role" "function" {
  name               = "${local.full_name}-lambda"
  assume_role_policy = data.aws_iam_policy_document.trust.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "function" {
  name   = "gateway"
  role   = aws_iam_role.function.id
  policy = module.app.policy_json
}

data "aws_iam_policy_document" "vpc_access" {
  #checkov:skip=CKV_AWS_111:Lambda creates and deletes the function's network interfaces with its role before they exist (AWSLambdaVPCAccessExecutionRole grants the same on "*", plus Logs on "*", which is why it is not attached)
  #checkov:skip=CKV_AWS_356:Same: the network interface actions are authorized before the interface exists
  statement {
    sid = "LambdaManagesTheFunctionsNetworkInterfaces"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "vpc_access" {
  name   = "vpc-access"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.vpc_access.json
}
