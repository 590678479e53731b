output "base_url" {
  description = "The OpenAI base URL developers put in their tools."
  value       = module.gateway.base_url
}

output "function_url" {
  description = "The function URL."
  value       = module.gateway.function_url
}

output "cloudfront_domain_name" {
  description = "Point domain_name here when public."
  value       = module.gateway.cloudfront_domain_name
}

output "log_group_name" {
  description = "The gateway's JSON events."
  value       = module.gateway.log_group_name
}

output "alarm_names" {
  description = "The alarms."
  value       = module.gateway.alarm_names
}

output "zappa_remote_env" {
  description = "zappa_settings.json remote_env for this stage (Zip)."
  value       = module.gateway.zappa_remote_env
}

output "role_arn" {
  description = "zappa_settings.json role_arn for this stage."
  value       = module.gateway.role_arn
}

output "run_management_command" {
  description = "Runs `manage.py migrate` once; change the command for another."
  value       = module.gateway.run_management_command
}
