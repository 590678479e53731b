output "base_url" {
  description = "The OpenAI base URL developers put in their tools."
  value       = module.gateway.base_url
}

output "load_balancer_dns_name" {
  description = "Point domain_name here."
  value       = module.gateway.load_balancer_dns_name
}

output "log_group_name" {
  description = "The gateway's JSON events."
  value       = module.gateway.log_group_name
}

output "alarm_names" {
  description = "The alarms."
  value       = module.gateway.alarm_names
}

output "run_management_command" {
  description = "Runs `manage.py migrate` once; change the last word for another command."
  value       = module.gateway.run_management_command
}
