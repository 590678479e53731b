output "base_url" {
  description = "The OpenAI base URL developers put in their tools."
  value       = "https://${var.domain_name}/v1"
}

output "load_balancer_dns_name" {
  description = "Point domain_name (CNAME or alias) here."
  value       = aws_lb.this.dns_name
}

output "log_group_name" {
  description = "Where the gateway's JSON events go (Logs Insights queries: docs/operations.md)."
  value       = module.app.log_group_name
}

output "app_secret_arn" {
  description = "The secret holding DJANGO_SECRET_KEY, DATABASE_URL (and REDIS_URL)."
  value       = module.app.app_secret_arn
}

output "task_role_arn" {
  description = "The gateway's own role (Bedrock, the token prefix in Secrets Manager)."
  value       = aws_iam_role.task.arn
}

output "alarm_names" {
  description = "Alarms on authentication failures, held-off addresses, 5xx and 429 answers."
  value       = concat(module.app.alarm_names, [aws_cloudwatch_metric_alarm.alb_5xx.alarm_name])
}

output "run_management_command" {
  description = "Runs a management command (here: migrate) once, with the gateway's settings; change the last word for another."
  value = join(" ", [
    "aws ecs run-task --region ${local.region} --cluster ${aws_ecs_cluster.this.name}",
    "--launch-type FARGATE --task-definition ${aws_ecs_task_definition.jobs.family}",
    "--network-configuration 'awsvpcConfiguration={subnets=[${join(",", var.private_subnet_ids)}],securityGroups=[${aws_security_group.tasks.id}],assignPublicIp=DISABLED}'",
    "--overrides '{\"containerOverrides\":[{\"name\":\"jobs\",\"command\":[\"python\",\"manage.py\",\"migrate\"]}]}'",
  ])
}
