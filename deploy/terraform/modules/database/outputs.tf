output "database_url" {
  description = "DATABASE_URL for the gateway (through RDS Proxy when it is on), TLS required."
  value       = "postgres://${local.username}:${random_password.master.result}@${local.host}:5432/${local.db_name}?sslmode=require"
  sensitive   = true
}

output "host" {
  description = "Where the gateway connects: the proxy endpoint, or the instance."
  value       = local.host
}

output "instance_identifier" {
  description = "The RDS instance."
  value       = aws_db_instance.this.identifier
}

output "security_group_id" {
  description = "Security group the gateway's egress to PostgreSQL points at (the proxy's when it is on)."
  value       = var.proxy_enabled ? aws_security_group.proxy[0].id : aws_security_group.db.id
}
