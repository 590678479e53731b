# The gateway on Lambda inside a VPC behind a function URL, either Zappa's zip (answers buffered) or the image with
# the Lambda Web Adapter (answers streamed, RESPONSE_STREAM), with PostgreSQL behind RDS Proxy, optional Valkey,
# VPC endpoints, and CloudFront with WAF when public. The log group, its alarms, the app secret, the app's policy
# and the scheduled jobs are modules/app's. For the shape without a VPC (about $0 idle), see modules/serverless.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  full_name  = module.app.full_name
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region
  partition  = data.aws_partition.current.partition
  zip        = var.package_type == "Zip"
  tags       = module.app.tags

  # Zappa's names (zappa_settings.json): the package reads its secrets from s3://<bucket>/secrets/<stage>.json.
  zappa_bucket     = "${var.name}-zappa-${local.account_id}-${var.environment}"
  remote_env_key   = "secrets/${var.environment}.json"
  zappa_remote_env = "s3://${local.zappa_bucket}/${local.remote_env_key}"

  # CloudFront adds this header to every request it forwards and the app refuses any request without it
  # (ORIGIN_VERIFY_HEADER_VALUE): the function URL cannot be used to go around the WAF.
  origin_verify_header = "X-Origin-Verify"

  public_base_url = var.domain_name != null ? "https://${var.domain_name}" : var.public_base_url
  environment = merge(
    module.app.environment,
    {
      DJANGO_ALLOWED_HOSTS  = join(",", compact([".lambda-url.${local.region}.on.aws", var.domain_name]))
      DATABASE_CONN_MAX_AGE = "0"
    },
    {
      for key, value in {
        PUBLIC_BASE_URL             = local.public_base_url
        DJANGO_CSRF_TRUSTED_ORIGINS = var.domain_name == null ? null : "https://${var.domain_name}"
        ORIGIN_VERIFY_HEADER        = var.public ? local.origin_verify_header : null
      } : key => value if value != null
    },
    # The image reads DJANGO_SECRET_KEY, DATABASE_URL (and REDIS_URL) from the app secret as it starts
    # (deploy/app_secret.py, SBC_APP_SECRET_ARN); the zip gets them from Zappa's remote_env object.
    module.app.app_secret_environment,
    var.environment_variables,
  )

  jobs_function = local.zip ? aws_lambda_function.gateway : aws_lambda_function.jobs[0]
  function_host = trimsuffix(trimprefix(aws_lambda_function_url.gateway.function_url, "https://"), "/")
}

module "foundation" {
  source         = "../foundation"
  name           = local.full_name
  log_group_name = "/${var.name}/${var.environment}"
  tags           = local.tags
}

module "app" {
  source                        = "../app"
  name                          = var.name
  environment                   = var.environment
  tags                          = var.tags
  bedrock_regions               = var.bedrock_regions
  bedrock_model_ids             = var.bedrock_model_ids
  bedrock_inference_profile_ids = var.bedrock_inference_profile_ids
  secrets_mirror                = var.secrets_mirror
  secret_prefix                 = var.secret_prefix
  alert_sns_topic_arn           = var.alert_sns_topic_arn
  secret_store                  = local.zip ? "none" : "secretsmanager"
  secret_values = {
    DATABASE_URL               = module.database.database_url
    REDIS_URL                  = var.redis_enabled ? module.redis[0].redis_url : null
    ORIGIN_VERIFY_HEADER_VALUE = var.public ? random_password.origin_verify[0].result : null
  }
  kms_key_arn           = module.foundation.kms_key_arn
  remote_env_object_arn = local.zip ? "arn:${local.partition}:s3:::${local.zappa_bucket}/${local.remote_env_key}" : null
  log_group_name        = "/${var.name}/${var.environment}"
  log_retention_days    = var.log_retention_days
  alarm_actions         = var.alarm_actions
  lambda_jobs           = true
  jobs_function_name    = local.jobs_function.function_name
  jobs_function_arn     = local.jobs_function.arn
}

resource "random_password" "origin_verify" {
  count   = var.public ? 1 : 0
  length  = 48
  special = false
}

module "database" {
  source                    = "../database"
  name                      = local.full_name
  vpc_id                    = var.vpc_id
  subnet_ids                = var.private_subnet_ids
  client_security_group_ids = [aws_security_group.function.id]
  kms_key_arn               = module.foundation.kms_key_arn
  instance_class            = var.db_instance_class
  multi_az                  = var.db_multi_az
  deletion_protection       = var.deletion_protection
  proxy_enabled             = true
  tags                      = local.tags
}

module "redis" {
  source                    = "../redis"
  count                     = var.redis_enabled ? 1 : 0
  name                      = local.full_name
  vpc_id                    = var.vpc_id
  subnet_ids                = var.private_subnet_ids
  client_security_group_ids = [aws_security_group.function.id]
  kms_key_arn               = module.foundation.kms_key_arn
  tags                      = local.tags
}

module "endpoints" {
  source                    = "../endpoints"
  count                     = var.create_vpc_endpoints ? 1 : 0
  name                      = local.full_name
  vpc_id                    = var.vpc_id
  subnet_ids                = var.private_subnet_ids
  client_security_group_ids = [aws_security_group.function.id]
  tags                      = local.tags
}

module "waf" {
  source    = "../waf"
  count     = var.public ? 1 : 0
  providers = { aws = aws.us_east_1 }
  name      = local.full_name
  scope     = "CLOUDFRONT"
  # WAF logs for CloudFront live in us-east-1: the deployment key serves there only when the deployment does.
  kms_key_arn                = local.region == "us-east-1" ? module.foundation.kms_key_arn : null
  requests_per_ip_per_minute = var.waf_requests_per_ip_per_minute
  alarm_actions              = var.alarm_actions
  tags                       = local.tags
}

# --- Zappa's bucket: the package and the remote_env object (the zip's secrets) --------------------------------
resource "aws_s3_bucket" "zappa" {
  #checkov:skip=CKV_AWS_18:Holds only the package and the remote_env object; reads are in CloudTrail data events if the account records them
  #checkov:skip=CKV_AWS_144:Both objects are rebuilt by `make package` and `terraform apply`; a replica would be one more copy of the secrets
  #checkov:skip=CKV2_AWS_62:Nothing reacts to these objects changing; Terraform writes them
  count  = local.zip ? 1 : 0
  bucket = local.zappa_bucket
  tags   = local.tags
}

resource "aws_s3_bucket_public_access_block" "zappa" {
  count                   = local.zip ? 1 : 0
  bucket                  = aws_s3_bucket.zappa[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "zappa" {
  count  = local.zip ? 1 : 0
  bucket = aws_s3_bucket.zappa[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "zappa" {
  count  = local.zip ? 1 : 0
  bucket = aws_s3_bucket.zappa[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "zappa" {
  count  = local.zip ? 1 : 0
  bucket = aws_s3_bucket.zappa[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = module.foundation.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "zappa" {
  count  = local.zip ? 1 : 0
  bucket = aws_s3_bucket.zappa[0].id
  rule {
    id     = "old-packages-and-secrets"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

data "aws_iam_policy_document" "zappa_bucket" {
  count = local.zip ? 1 : 0
  statement {
    sid       = "HttpsOnly"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.zappa[0].arn, "${aws_s3_bucket.zappa[0].arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "zappa" {
  count  = local.zip ? 1 : 0
  bucket = aws_s3_bucket.zappa[0].id
  policy = data.aws_iam_policy_document.zappa_bucket[0].json
}

resource "aws_s3_object" "remote_env" {
  count                  = local.zip ? 1 : 0
  bucket                 = aws_s3_bucket.zappa[0].id
  key                    = local.remote_env_key
  content                = jsonencode(module.app.secret_environment)
  content_type           = "application/json"
  server_side_encryption = "aws:kms"
  kms_key_id             = module.foundation.kms_key_arn
  tags                   = local.tags
}

resource "aws_s3_object" "package" {
  count                  = local.zip ? 1 : 0
  bucket                 = aws_s3_bucket.zappa[0].id
  key                    = "packages/${local.full_name}-${filemd5(var.zip_path)}.zip"
  source                 = var.zip_path
  server_side_encryption = "aws:kms"
  kms_key_id             = module.foundation.kms_key_arn
  tags                   = local.tags
}

# --- Network ----------------------------------------------------------------------------------------------------
resource "aws_security_group" "function" {
  name        = "${local.full_name}-lambda"
  description = "Functions of ${local.full_name}: no inbound, out to AWS APIs, RDS Proxy and Valkey"
  vpc_id      = var.vpc_id
  tags        = local.tags
}

resource "aws_vpc_security_group_egress_rule" "https" {
  #checkov:skip=CKV_AWS_382:HTTPS only, to AWS APIs (Bedrock in every BEDROCK_REGIONS region, Secrets Manager, STS, S3) whose addresses are not fixed; through the VPC endpoints or a NAT gateway
  security_group_id = aws_security_group.function.id
  description       = "HTTPS to AWS APIs"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "postgres" {
  security_group_id            = aws_security_group.function.id
  description                  = "PostgreSQL through RDS Proxy"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = module.database.security_group_id
}

resource "aws_vpc_security_group_egress_rule" "redis" {
  count                        = var.redis_enabled ? 1 : 0
  security_group_id            = aws_security_group.function.id
  description                  = "Valkey"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = module.redis[0].security_group_id
}

# --- Functions --------------------------------------------------------------------------------------------------
resource "aws_lambda_function" "gateway" {
  #checkov:skip=CKV_AWS_50:X-Ray needs xray:PutTraceSegments on "*"; each request's latency is in the gateway's own response event
  #checkov:skip=CKV_AWS_116:Invoked synchronously through the function URL: a failed request is answered, there is nothing to redeliver
  #checkov:skip=CKV_AWS_272:The package is built by `make package` or the image build from hash-pinned requirements; code signing needs a signing profile per deployer
  function_name                  = local.full_name
  description                    = "Simple Bedrock Connector (${var.environment})"
  role                           = aws_iam_role.function.arn
  package_type                   = var.package_type
  handler                        = local.zip ? "handler.lambda_handler" : null
  runtime                        = local.zip ? "python3.11" : null
  s3_bucket                      = local.zip ? aws_s3_bucket.zappa[0].id : null
  s3_key                         = local.zip ? aws_s3_object.package[0].key : null
  source_code_hash               = local.zip ? filebase64sha256(var.zip_path) : null
  image_uri                      = local.zip ? null : var.image_uri
  architectures                  = ["x86_64"]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = module.foundation.kms_key_arn
  tags                           = local.tags

  environment {
    variables = local.environment
  }

  vpc_config {
    subnet_ids         = var.private_subnet_ids
    security_group_ids = [aws_security_group.function.id]
  }

  logging_config {
    log_format = "Text"
    log_group  = module.app.log_group_name
  }

  depends_on = [aws_iam_role_policy.function, aws_s3_object.remote_env]
}

# The image's jobs target: scheduled commands and `migrate` ({"manage": "<command>"}), like Zappa's handler.
resource "aws_lambda_function" "jobs" {
  #checkov:skip=CKV_AWS_50:X-Ray needs xray:PutTraceSegments on "*"; the jobs log to the gateway's group
  #checkov:skip=CKV_AWS_116:EventBridge retries a failed run twice, and the next scheduled run repeats the job anyway
  #checkov:skip=CKV_AWS_272:The image is built from hash-pinned requirements; code signing needs a signing profile per deployer
  count                          = local.zip ? 0 : 1
  function_name                  = "${local.full_name}-jobs"
  description                    = "Simple Bedrock Connector (${var.environment}): scheduled jobs and migrations"
  role                           = aws_iam_role.function.arn
  package_type                   = "Image"
  image_uri                      = var.jobs_image_uri
  architectures                  = ["x86_64"]
  memory_size                    = 512
  timeout                        = 900
  reserved_concurrent_executions = 2
  kms_key_arn                    = module.foundation.kms_key_arn
  tags                           = local.tags

  environment {
    variables = local.environment
  }

  vpc_config {
    subnet_ids         = var.private_subnet_ids
    security_group_ids = [aws_security_group.function.id]
  }

  logging_config {
    log_format = "Text"
    log_group  = module.app.log_group_name
  }

  depends_on = [aws_iam_role_policy.function]
}

resource "aws_lambda_function_url" "gateway" {
  #checkov:skip=CKV_AWS_258:The gateway authenticates every request with its own bearer tokens; OpenAI and Anthropic clients cannot sign SigV4
  function_name      = aws_lambda_function.gateway.function_name
  authorization_type = "NONE"
  # Zappa's handler answers in one piece; the Web Adapter streams.
  invoke_mode = local.zip ? "BUFFERED" : "RESPONSE_STREAM"
}

# A public URL: every request is authenticated by the gateway's own bearer tokens (OpenAI clients cannot sign
# SigV4). Both statements are needed for function URLs created since October 2025.
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

# --- CloudFront with WAF, when public -----------------------------------------------------------------------------
data "aws_cloudfront_cache_policy" "disabled" {
  name = "Managed-CachingDisabled"
}

data "aws_cloudfront_origin_request_policy" "all_but_host" {
  name = "Managed-AllViewerExceptHostHeader"
}

data "aws_cloudfront_response_headers_policy" "security" {
  name = "Managed-SecurityHeadersPolicy"
}

resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV_AWS_86:Each request is already one JSON event in the gateway's log group, and WAF logs blocked ones
  #checkov:skip=CKV_AWS_305:An API: there is no root object to serve
  #checkov:skip=CKV_AWS_310:One origin; Lambda is already multi-zone
  #checkov:skip=CKV_AWS_374:Developers connect from anywhere; restrict in the web ACL if needed
  count           = var.public ? 1 : 0
  enabled         = true
  comment         = "Simple Bedrock Connector (${var.environment})"
  aliases         = [var.domain_name]
  web_acl_id      = module.waf[0].web_acl_arn
  price_class     = "PriceClass_100"
  http_version    = "http2and3"
  is_ipv6_enabled = true
  tags            = local.tags

  origin {
    origin_id   = "function-url"
    domain_name = local.function_host
    # The app refuses a request without it (ORIGIN_VERIFY_HEADER_VALUE), so the function URL is no way around the WAF.
    custom_header {
      name  = local.origin_verify_header
      value = random_password.origin_verify[0].result
    }
    custom_origin_config {
      http_port                = 80
      https_port               = 443
      origin_protocol_policy   = "https-only"
      origin_ssl_protocols     = ["TLSv1.2"]
      origin_read_timeout      = 60
      origin_keepalive_timeout = 60
    }
  }

  default_cache_behavior {
    target_origin_id           = "function-url"
    viewer_protocol_policy     = "https-only"
    allowed_methods            = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = false
    cache_policy_id            = data.aws_cloudfront_cache_policy.disabled.id
    origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.all_but_host.id
    response_headers_policy_id = data.aws_cloudfront_response_headers_policy.security.id
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    acm_certificate_arn      = var.cloudfront_certificate_arn
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }

  lifecycle {
    precondition {
      condition     = var.domain_name != null && var.cloudfront_certificate_arn != null
      error_message = "A public gateway needs domain_name and cloudfront_certificate_arn (us-east-1)."
    }
  }
}

# Where what modules/app now holds used to be: kept in place, not destroyed and created again.
moved {
  from = module.foundation.aws_cloudwatch_log_group.this
  to   = module.app.aws_cloudwatch_log_group.this
}

moved {
  from = module.foundation.aws_cloudwatch_log_metric_filter.this
  to   = module.app.aws_cloudwatch_log_metric_filter.this
}

moved {
  from = module.foundation.aws_cloudwatch_metric_alarm.this
  to   = module.app.aws_cloudwatch_metric_alarm.this
}

moved {
  from = random_password.secret_key
  to   = module.app.random_password.secret_key
}

moved {
  from = aws_secretsmanager_secret.app
  to   = module.app.aws_secretsmanager_secret.app
}

moved {
  from = aws_secretsmanager_secret_version.app
  to   = module.app.aws_secretsmanager_secret_version.app
}

moved {
  from = aws_cloudwatch_event_rule.jobs
  to   = module.app.aws_cloudwatch_event_rule.jobs
}

moved {
  from = aws_cloudwatch_event_target.jobs
  to   = module.app.aws_cloudwatch_event_target.jobs
}

moved {
  from = aws_lambda_permission.jobs
  to   = module.app.aws_lambda_permission.jobs
}
