variable "name" {
  description = "Prefix of every resource name, e.g. sbc-prod."
  type        = string
}

variable "scope" {
  description = "REGIONAL for the load balancer; CLOUDFRONT for the distribution in front of a function URL (then this module must get a us-east-1 provider)."
  type        = string
  default     = "REGIONAL"
  validation {
    condition     = contains(["REGIONAL", "CLOUDFRONT"], var.scope)
    error_message = "scope is REGIONAL or CLOUDFRONT."
  }
}

variable "requests_per_ip_per_minute" {
  description = "Requests one client address may send per minute before WAF blocks it (6000 = the 100 per second of the hardening checklist)."
  type        = number
  default     = 6000
}

variable "log_retention_days" {
  description = "Days WAF's own request log (blocked and sampled requests) is kept."
  type        = number
  default     = 365
}

variable "kms_key_arn" {
  description = "KMS key for WAF's log group, in the web ACL's region; null: CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "alarm_actions" {
  description = "ARNs notified when clients are being rate-limited."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
