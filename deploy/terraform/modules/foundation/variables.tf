variable "name" {
  description = "Prefix of every resource name, e.g. sbc-prod."
  type        = string
}

variable "log_group_name" {
  description = "CloudWatch Logs group that receives the gateway's JSON events (request, response, auth_failure)."
  type        = string
}

variable "log_retention_days" {
  description = "Days the gateway's log events are kept."
  type        = number
  default     = 365
}

variable "metric_namespace" {
  description = "CloudWatch namespace of the metrics derived from the log events."
  type        = string
  default     = "SimpleBedrockConnector"
}

variable "alarm_actions" {
  description = "ARNs notified when an alarm fires or clears, typically one SNS topic. Empty: the alarms are only shown in the console."
  type        = list(string)
  default     = []
}

variable "auth_failure_threshold" {
  description = "Failed authentications (unknown, expired or revoked tokens) in 5 minutes that raise the alarm."
  type        = number
  default     = 20
}

variable "server_error_threshold" {
  description = "Answers with a 5xx status in 5 minutes that raise the alarm."
  type        = number
  default     = 5
}

variable "throttle_threshold" {
  description = "Answers with status 429 (quota, rate limit or Bedrock throttling) in 5 minutes that raise the alarm."
  type        = number
  default     = 50
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
