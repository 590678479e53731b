output "redis_url" {
  description = "REDIS_URL for the gateway (TLS, AUTH token)."
  value       = "rediss://:${random_password.auth.result}@${aws_elasticache_replication_group.this.primary_endpoint_address}:6379/0"
  sensitive   = true
}

output "security_group_id" {
  description = "Security group the gateway's egress to the cache points at."
  value       = aws_security_group.this.id
}
