output "security_group_id" {
  description = "Security group of the interface endpoints (the gateway's HTTPS egress may point at it)."
  value       = aws_security_group.this.id
}

output "endpoint_ids" {
  description = "Interface endpoint ids by service."
  value       = { for service, endpoint in aws_vpc_endpoint.interface : service => endpoint.id }
}
