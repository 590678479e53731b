# --- Naming, package and network ----------------------------------------------------------------------------
variable "name" {
  description = "Project name (zappa_settings.json project_name); resources are named <name>-<environment>."
  type        = string
  default     = "sbc"
}

variable "environment" {
  description = "The Zappa stage (dev, prod): the function is <name>-<environment>, as Zappa names it."
  type        = string
}

variable "package_type" {
  description = "Zip: the package `make package STAGE=<environment>` builds (buffered answers). Image: the Dockerfile's lambda target with the Lambda Web Adapter (streamed answers)."
  type        = string
  default     = "Image"
  validation {
    condition     = contains(["Zip", "Image"], var.package_type)
    error_message = "package_type is Zip or Image."
  }
}

variable "zip_path" {
  description = "Path of the Zappa package (dist/sbc-<environment>.zip), for package_type = Zip."
  type        = string
  default     = null
}

variable "image_uri" {
  description = "The gateway image for package_type = Image (docker build --target lambda), in ECR."
  type        = string
  default     = null
}

variable "jobs_image_uri" {
  description = "The jobs image for package_type = Image (docker build --target jobs): scheduled commands and migrate."
  type        = string
  default     = null
}

variable "vpc_id" {
  description = "VPC of the database; the functions run in its private subnets."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (two or more zones) for the functions, RDS, RDS Proxy and the endpoints."
  type        = list(string)
}

variable "create_vpc_endpoints" {
  description = "Create interface endpoints for Bedrock Runtime, Secrets Manager, CloudWatch Logs and STS; false when a NAT gateway gives the subnets a way out."
  type        = bool
  default     = true
}

# --- The function -------------------------------------------------------------------------------------------
variable "memory_size" {
  description = "Function memory in MB (CPU grows with it)."
  type        = number
  default     = 1024
}

variable "timeout" {
  description = "Longest answer in seconds (Lambda allows 900)."
  type        = number
  default     = 900
}

variable "reserved_concurrency" {
  description = "Most requests in flight at once (each holds a database connection through RDS Proxy)."
  type        = number
  default     = 50
}

variable "environment_variables" {
  description = "More non-secret settings from .env.example. Secrets never go here."
  type        = map(string)
  default     = {}
}

# --- Exposure -----------------------------------------------------------------------------------------------
variable "public" {
  description = "Put CloudFront with the WAF web ACL (per-address rate limit) in front of the function URL; needs domain_name and cloudfront_certificate_arn."
  type        = bool
  default     = false
}

variable "domain_name" {
  description = "Host name developers use (CloudFront's alternate name when public). Null: the function URL itself."
  type        = string
  default     = null
}

variable "cloudfront_certificate_arn" {
  description = "ACM certificate for domain_name in us-east-1 (public only)."
  type        = string
  default     = null
}

variable "public_base_url" {
  description = "PUBLIC_BASE_URL shown in the portal when there is no domain_name: the function_url output of a first apply."
  type        = string
  default     = null
}

variable "waf_requests_per_ip_per_minute" {
  description = "WAF's per-address limit (public only)."
  type        = number
  default     = 6000
}

# --- Bedrock and tokens -------------------------------------------------------------------------------------
variable "bedrock_regions" {
  description = "BEDROCK_REGIONS: regions in failover order; the first is the primary."
  type        = list(string)
}

variable "bedrock_model_ids" {
  description = "Foundation model ids the gateway may invoke (IAM allows these and nothing else)."
  type        = list(string)
  default     = []
}

variable "bedrock_inference_profile_ids" {
  description = "Cross-region inference profile ids the gateway may invoke, e.g. us.anthropic.claude-sonnet-4-20250514-v1:0."
  type        = list(string)
  default     = []
}

variable "secrets_mirror" {
  description = "SECRETS_MIRROR: mirror token metadata to Secrets Manager (and run sync_secrets every 15 minutes)."
  type        = bool
  default     = true
}

variable "secret_prefix" {
  description = "SECRET_PREFIX: the token secrets' name prefix, and the only one the gateway may touch. Null: <name>/<environment>/tokens/, so two environments in one account never share one."
  type        = string
  default     = null
}

# --- Data ---------------------------------------------------------------------------------------------------
variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.micro"
}

variable "db_multi_az" {
  description = "A standby database in a second zone."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Protect the database from deletion."
  type        = bool
  default     = true
}

variable "redis_enabled" {
  description = "ElastiCache (Valkey) for shared per-minute and concurrency counters (REDIS_URL)."
  type        = bool
  default     = false
}

# --- Logs and alarms ----------------------------------------------------------------------------------------
variable "log_retention_days" {
  description = "Days the log events are kept."
  type        = number
  default     = 365
}

variable "alarm_actions" {
  description = "ARNs (an SNS topic) notified by the alarms on authentication failures, 5xx and throttling."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "alert_sns_topic_arn" {
  description = "An SNS topic for budget alerts (ALERT_SNS_TOPIC_ARN; e-mail and webhooks go in environment_variables). The role may publish to it and nothing else in SNS."
  type        = string
  default     = null
}
