output "full_name" {
  description = "<name>-<environment>: the prefix of every resource name."
  value       = local.full_name
}

output "tags" {
  description = "The tags every resource carries."
  value       = local.tags
}

output "policy_json" {
  description = "The app role's policy document."
  value       = data.aws_iam_policy_document.app.json
}

output "bedrock_resources" {
  description = "The model and inference-profile ARNs the app may invoke."
  value       = local.bedrock_resources
}

output "secret_prefix" {
  description = "SECRET_PREFIX of this environment."
  value       = local.secret_prefix
}

output "deployment_id" {
  description = "DEPLOYMENT_ID of this environment."
  value       = local.deployment_id
}

output "environment" {
  description = "The settings every shape gives the app (no secret)."
  value       = local.environment
}

output "app_secret_environment" {
  description = "The variable naming where the app secret is read at start: SBC_APP_SECRET_ARN or SBC_APP_SECRET_PARAMETER (empty for secret_store = none)."
  value       = local.app_secret_environment
  # What reads it starts after the value is written.
  depends_on = [aws_secretsmanager_secret_version.app, aws_ssm_parameter.app]
}

output "secret_environment" {
  description = "The app secret's variables themselves, for a shape that ships them another way (Zappa's remote_env object)."
  value       = local.secret_values
  sensitive   = true
}

output "app_secret_arn" {
  description = "The Secrets Manager secret holding DJANGO_SECRET_KEY and secret_values (secret_store = secretsmanager)."
  value       = one(aws_secretsmanager_secret.app[*].arn)
  # What reads it (ECS injecting it into containers) starts after the value is written.
  depends_on = [aws_secretsmanager_secret_version.app]
}

output "app_parameter_name" {
  description = "The SSM SecureString holding the same JSON (secret_store = ssm)."
  value       = one(aws_ssm_parameter.app[*].name)
}

output "app_parameter_arn" {
  description = "Its ARN (secret_store = ssm)."
  value       = one(aws_ssm_parameter.app[*].arn)
}

output "log_group_name" {
  description = "The log group holding the gateway's JSON events (Logs Insights queries in docs/operations.md)."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of that log group."
  value       = aws_cloudwatch_log_group.this.arn
}

output "jobs" {
  description = "The scheduled jobs (management command and schedule expression) by name."
  value       = local.jobs
}

output "alarm_names" {
  description = "The alarms on authentication failures, held-off addresses, 5xx answers and 429 answers."
  value       = [for alarm in aws_cloudwatch_metric_alarm.this : alarm.alarm_name]
}
