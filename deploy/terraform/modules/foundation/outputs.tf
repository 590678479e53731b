output "kms_key_arn" {
  description = "The deployment's customer-managed KMS key."
  value       = aws_kms_key.this.arn
}

output "log_group_name" {
  description = "The log group holding the gateway's JSON events (Logs Insights queries in docs/operations.md)."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of that log group."
  value       = aws_cloudwatch_log_group.this.arn
}

output "alarm_names" {
  description = "The alarms on authentication failures, held-off addresses, 5xx answers and 429 answers."
  value       = [for alarm in aws_cloudwatch_metric_alarm.this : alarm.alarm_name]
}
