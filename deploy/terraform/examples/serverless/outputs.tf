output "base_url" {
  description = "The OpenAI base URL developers put in their tools."
  value       = module.gateway.base_url
}

output "function_url" {
  description = "The function URL."
  value       = module.gateway.function_url
}

output "custom_domain_target" {
  description = "Point domain_name here (with a custom domain)."
  value       = module.gateway.custom_domain_target
}

output "log_group_name" {
  description = "The gateway's JSON events."
  value       = module.gateway.log_group_name
}

output "dsql_endpoint" {
  description = "The Aurora DSQL cluster's endpoint."
  value       = module.gateway.dsql_endpoint
}

output "database_role_setup" {
  description = "SQL to run once as the DSQL admin."
  value       = module.gateway.database_role_setup
}

output "database_grants" {
  description = "SQL to run as the DSQL admin after a migrate that adds tables."
  value       = module.gateway.database_grants
}

output "run_migrations_command" {
  description = "Runs `manage.py migrate` as the DSQL admin."
  value       = module.gateway.run_migrations_command
}

output "run_management_command" {
  description = "Runs a management command with the gateway's role."
  value       = module.gateway.run_management_command
}

output "secret_prefix" {
  description = "SECRET_PREFIX of this environment."
  value       = module.gateway.secret_prefix
}
