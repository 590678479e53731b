variable "name" {
  description = "Prefix of every resource name, e.g. sbc-prod."
  type        = string
}

variable "log_group_name" {
  description = "The log group (modules/app) that receives the gateway's JSON events (request, response, auth_failure); the key may encrypt it."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
