output "web_acl_arn" {
  description = "The web ACL, to associate with the load balancer or set on the distribution."
  value       = aws_wafv2_web_acl.this.arn
}

output "log_group_name" {
  description = "WAF's request log."
  value       = aws_cloudwatch_log_group.this.name
}
