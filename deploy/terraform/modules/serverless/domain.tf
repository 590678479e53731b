# An optional custom domain: API Gateway REST with the Lambda integration in stream mode (answers streamed, up to
# 15 minutes, 5 minutes of silence at most). Not CloudFront in front of the function URL: its origin access control
# makes every POST carry a body hash header the OpenAI SDK does not send.

locals {
  custom_domain = var.domain_name != null ? 1 : 0
  # The Lambda streaming invocation (InvokeWithResponseStream), which STREAM mode requires.
  streaming_invoke_uri = join("", [
    "arn:${local.partition}:apigateway:${local.region}:lambda:path/2021-11-15/functions/",
    aws_lambda_function.gateway.arn,
    "/response-streaming-invocations",
  ])
  api_paths = { root = null, proxy = "{proxy+}" }
}

resource "aws_api_gateway_rest_api" "this" {
  count                        = local.custom_domain
  name                         = local.full_name
  description                  = "Simple Bedrock Connector (${var.environment}) on ${coalesce(var.domain_name, "-")}"
  disable_execute_api_endpoint = true
  tags                         = local.tags

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_resource" "proxy" {
  count       = local.custom_domain
  rest_api_id = aws_api_gateway_rest_api.this[0].id
  parent_id   = aws_api_gateway_rest_api.this[0].root_resource_id
  path_part   = "{proxy+}"
}

resource "aws_api_gateway_method" "any" {
  #checkov:skip=CKV_AWS_59:The gateway authenticates every request with its own bearer tokens; the portal and admin sign in themselves
  #checkov:skip=CKV2_AWS_53:A proxy to the app, which validates every request body itself
  for_each      = local.custom_domain == 1 ? local.api_paths : {}
  rest_api_id   = aws_api_gateway_rest_api.this[0].id
  resource_id   = each.key == "root" ? aws_api_gateway_rest_api.this[0].root_resource_id : aws_api_gateway_resource.proxy[0].id
  http_method   = "ANY"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "any" {
  for_each                = local.custom_domain == 1 ? local.api_paths : {}
  rest_api_id             = aws_api_gateway_rest_api.this[0].id
  resource_id             = aws_api_gateway_method.any[each.key].resource_id
  http_method             = aws_api_gateway_method.any[each.key].http_method
  integration_http_method = "POST"
  type                    = "AWS_PROXY"
  uri                     = local.streaming_invoke_uri
  response_transfer_mode  = "STREAM"
  timeout_milliseconds    = var.timeout * 1000
}

resource "aws_api_gateway_deployment" "this" {
  count       = local.custom_domain
  rest_api_id = aws_api_gateway_rest_api.this[0].id
  triggers = {
    redeployment = sha1(jsonencode([aws_api_gateway_integration.any, aws_api_gateway_method.any]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_73:X-Ray needs xray:PutTraceSegments on "*"; each request's latency is in the gateway's own response event
  #checkov:skip=CKV_AWS_76:Each request is already one JSON event in the gateway's log group; stage access logs need an account-wide API Gateway logging role
  #checkov:skip=CKV_AWS_120:Answers are per token and mostly streamed: nothing may be cached
  #checkov:skip=CKV2_AWS_51:Clients are coding agents and SDKs with bearer tokens, not mutual TLS
  #checkov:skip=CKV2_AWS_29:No WAF in the serverless shape (a web ACL bills $5/month, five times its idle budget); the gateway throttles failed authentications and meters quotas itself
  #checkov:skip=CKV2_AWS_4:Execution logging needs an account-wide API Gateway logging role; the gateway logs every request itself
  count         = local.custom_domain
  rest_api_id   = aws_api_gateway_rest_api.this[0].id
  deployment_id = aws_api_gateway_deployment.this[0].id
  stage_name    = "live"
  tags          = local.tags
}

resource "aws_api_gateway_domain_name" "this" {
  count                    = local.custom_domain
  domain_name              = var.domain_name
  regional_certificate_arn = var.certificate_arn
  security_policy          = "TLS_1_2"
  tags                     = local.tags

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  lifecycle {
    precondition {
      condition     = var.certificate_arn != null
      error_message = "A custom domain needs certificate_arn (ACM, in the deployment's region)."
    }
  }
}

resource "aws_api_gateway_base_path_mapping" "this" {
  count       = local.custom_domain
  api_id      = aws_api_gateway_rest_api.this[0].id
  stage_name  = aws_api_gateway_stage.this[0].stage_name
  domain_name = aws_api_gateway_domain_name.this[0].domain_name
}

resource "aws_lambda_permission" "api" {
  count         = local.custom_domain
  statement_id  = "ApiGatewayStreams"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.gateway.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this[0].execution_arn}/*/*"
}
