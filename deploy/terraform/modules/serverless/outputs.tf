output "base_url" {
  description = "The OpenAI base URL developers put in their tools."
  value       = var.domain_name != null ? "https://${var.domain_name}/v1" : "${aws_lambda_function_url.gateway.function_url}v1"
}

output "function_url" {
  description = "The function URL (streamed answers)."
  value       = aws_lambda_function_url.gateway.function_url
}

output "custom_domain_target" {
  description = "Point domain_name (CNAME or alias) at this regional API Gateway name."
  value       = one(aws_api_gateway_domain_name.this[*].regional_domain_name)
}

output "function_name" {
  description = "The gateway function (<name>-<environment>)."
  value       = aws_lambda_function.gateway.function_name
}

output "role_arn" {
  description = "The gateway's role: the IAM identity the app's database role is granted to (AWS IAM GRANT)."
  value       = aws_iam_role.gateway.arn
}

output "migrations_role_arn" {
  description = "The migrations function's role, the only one allowed to connect as the DSQL admin."
  value       = aws_iam_role.migrations.arn
}

output "dsql_cluster_identifier" {
  description = "The Aurora DSQL cluster."
  value       = aws_dsql_cluster.this.identifier
}

output "dsql_endpoint" {
  description = "The cluster's endpoint (DATABASE_URL's host)."
  value       = local.dsql_endpoint
}

output "database_url" {
  description = "DATABASE_URL of the gateway: no password, the role's IAM token signs in."
  value       = local.database_url
}

output "database_role_setup" {
  description = "SQL to run once as the cluster's admin: the app's database role, tied to the gateway's IAM role."
  value = join("\n", [
    "CREATE ROLE ${var.db_user} WITH LOGIN;",
    "AWS IAM GRANT ${var.db_user} TO '${aws_iam_role.gateway.arn}';",
    "GRANT USAGE ON SCHEMA public TO ${var.db_user};",
  ])
}

output "database_grants" {
  description = "SQL to run as the admin after each migrate that adds tables: the app's role reads and writes them."
  value = join("\n", [
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${var.db_user};",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${var.db_user};",
  ])
}

output "run_migrations_command" {
  description = "Runs `manage.py migrate` once, as the cluster's admin."
  value = join(" ", [
    "aws lambda invoke --region ${local.region} --function-name ${aws_lambda_function.migrations.function_name}",
    "--cli-binary-format raw-in-base64-out --payload '{\"manage\": \"migrate\"}' /dev/stdout",
  ])
}

output "run_management_command" {
  description = "Runs a management command (here: check --deploy) with the gateway's own role; change the command for another."
  value = join(" ", [
    "aws lambda invoke --region ${local.region} --function-name ${aws_lambda_function.jobs.function_name}",
    "--cli-binary-format raw-in-base64-out --payload '{\"manage\": \"check --deploy\"}' /dev/stdout",
  ])
}

output "app_parameter_name" {
  description = "The SSM SecureString holding DJANGO_SECRET_KEY (JSON), read at start."
  value       = module.app.app_parameter_name
}

output "secret_prefix" {
  description = "SECRET_PREFIX of this environment."
  value       = module.app.secret_prefix
}

output "log_group_name" {
  description = "Where the gateway's JSON events go (Logs Insights queries: docs/operations.md)."
  value       = module.app.log_group_name
}
