variable "name" {
  description = "Prefix of every resource name, e.g. sbc-prod."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the database."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (at least two zones) for the database and RDS Proxy."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups of the gateway (tasks or functions) allowed to connect."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key for storage, Performance Insights, logs and the credentials secret."
  type        = string
}

variable "instance_class" {
  description = "RDS instance class; db.t4g.micro carries thousands of requests a day (docs/deploy.md)."
  type        = string
  default     = "db.t4g.micro"
}

variable "engine_version" {
  description = "PostgreSQL major version."
  type        = string
  default     = "16"
}

variable "allocated_storage" {
  description = "Initial storage in GiB; it grows on its own up to max_allocated_storage."
  type        = number
  default     = 20
}

variable "max_allocated_storage" {
  description = "Storage autoscaling ceiling in GiB."
  type        = number
  default     = 100
}

variable "multi_az" {
  description = "A standby in a second zone (about twice the cost)."
  type        = bool
  default     = false
}

variable "backup_retention_days" {
  description = "Days of automated backups (usage records and tokens live here)."
  type        = number
  default     = 7
}

variable "deletion_protection" {
  description = "Refuse to delete the database; set false only to tear a deployment down."
  type        = bool
  default     = true
}

variable "proxy_enabled" {
  description = "Put RDS Proxy in front (Lambda: every container opens its own connection)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
