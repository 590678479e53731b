output "base_url" {
  description = "The OpenAI base URL developers put in their tools."
  value       = var.domain_name != null ? "https://${var.domain_name}/v1" : "${aws_lambda_function_url.gateway.function_url}v1"
}

output "function_url" {
  description = "The function URL (behind CloudFront when public: share base_url, not this)."
  value       = aws_lambda_function_url.gateway.function_url
}

output "cloudfront_domain_name" {
  description = "Point domain_name (CNAME or alias) here when public."
  value       = var.public ? aws_cloudfront_distribution.this[0].domain_name : null
}

output "log_group_name" {
  description = "Where the gateway's JSON events go (Logs Insights queries: docs/operations.md)."
  value       = module.app.log_group_name
}

output "function_name" {
  description = "The gateway function (<name>-<environment>, as Zappa names it)."
  value       = aws_lambda_function.gateway.function_name
}

output "role_arn" {
  description = "The functions' role: zappa_settings.json's role_arn for this stage."
  value       = aws_iam_role.function.arn
}

output "zappa_remote_env" {
  description = "zappa_settings.json's remote_env for this stage (package_type = Zip)."
  value       = local.zip ? local.zappa_remote_env : null
}

output "alarm_names" {
  description = "Alarms on authentication failures, held-off addresses, 5xx and 429 answers."
  value       = module.app.alarm_names
}

output "run_management_command" {
  description = "Runs a management command (here: migrate) once inside the VPC; change the command for another."
  value = join(" ", [
    "aws lambda invoke --region ${local.region} --function-name ${local.jobs_function.function_name}",
    "--cli-binary-format raw-in-base64-out --payload '{\"manage\": \"migrate\"}' /dev/stdout",
  ])
}
