# --- Naming and network -------------------------------------------------------------------------------------
variable "name" {
  description = "Project name; resources are named <name>-<environment>."
  type        = string
  default     = "sbc"
}

variable "environment" {
  description = "Deployment name, e.g. prod or staging."
  type        = string
}

variable "vpc_id" {
  description = "VPC to deploy into."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (two or more zones) for the tasks, the database and the endpoints."
  type        = list(string)
}

variable "public_subnet_ids" {
  description = "Public subnets for an internet-facing load balancer (public = true)."
  type        = list(string)
  default     = []
}

variable "private_route_table_ids" {
  description = "Route tables of the private subnets, for the S3 gateway endpoint that image pulls use without NAT."
  type        = list(string)
  default     = []
}

variable "create_vpc_endpoints" {
  description = "Create interface endpoints for Bedrock Runtime, Secrets Manager, CloudWatch Logs, STS and ECR; false when a NAT gateway already gives the subnets a way out."
  type        = bool
  default     = true
}

# --- Exposure -----------------------------------------------------------------------------------------------
variable "public" {
  description = "Internet-facing load balancer, with the WAF web ACL in front. False: an internal load balancer reachable from allowed_cidrs."
  type        = bool
  default     = false
}

variable "allowed_cidrs" {
  description = "Client networks allowed to reach the load balancer on 443 (for a public gateway: 0.0.0.0/0)."
  type        = list(string)
}

variable "domain_name" {
  description = "Host name developers use, e.g. gateway.example.com (DJANGO_ALLOWED_HOSTS, PUBLIC_BASE_URL); point it at the load balancer."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate for domain_name, in the deployment's region."
  type        = string
}

variable "idle_timeout" {
  description = "Load balancer idle timeout in seconds: longer than the longest silence in a streamed answer (gunicorn's keep-alive is set just above it)."
  type        = number
  default     = 900
  validation {
    condition     = var.idle_timeout >= 300 && var.idle_timeout <= 4000
    error_message = "idle_timeout must be 300 to 4000 seconds: agent streams pause for minutes."
  }
}

variable "waf_requests_per_ip_per_minute" {
  description = "WAF's per-address limit (public only)."
  type        = number
  default     = 6000
}

variable "access_logs_bucket" {
  description = "S3 bucket for the load balancer's access logs (its policy must let the regional ELB account write); null: off."
  type        = string
  default     = null
}

# --- The task -----------------------------------------------------------------------------------------------
variable "image" {
  description = "The gateway image (docker build --target server), e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/sbc:1.4.0."
  type        = string
}

variable "cpu" {
  description = "Task CPU units."
  type        = number
  default     = 1024
}

variable "memory" {
  description = "Task memory in MiB."
  type        = number
  default     = 2048
}

variable "desired_count" {
  description = "Tasks behind the load balancer (two zones: 2)."
  type        = number
  default     = 2
}

variable "web_concurrency" {
  description = "WEB_CONCURRENCY: gunicorn worker processes per task."
  type        = number
  default     = 2
}

variable "gunicorn_threads" {
  description = "GUNICORN_THREADS: requests and streams one worker serves at once."
  type        = number
  default     = 128
}

variable "environment_variables" {
  description = "More non-secret settings from .env.example (e.g. QUOTA_DEFAULT_TOKENS_PER_DAY, OIDC_OP_* endpoints). Secrets never go here."
  type        = map(string)
  default     = {}
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
  description = "Protect the database and the load balancer from deletion."
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
