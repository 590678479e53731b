# --- Naming ---------------------------------------------------------------------------------------------------
variable "name" {
  description = "Project name; resources are named <name>-<environment>."
  type        = string
  default     = "sbc"
}

variable "environment" {
  description = "The environment (dev, prod): the function is <name>-<environment>; also DEPLOYMENT_ID and the default token prefix."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

# --- The package and the function -----------------------------------------------------------------------------
variable "package_bucket" {
  description = "S3 bucket holding the function's zip (python3.11, built for linux arm64), in the deployment's region."
  type        = string
}

variable "package_key" {
  description = "Key of the zip in package_bucket; give each build its own key (e.g. packages/sbc-<version>.zip) so an apply deploys it."
  type        = string
}

variable "handler" {
  description = "The start script inside the zip that the Web Adapter's exec wrapper runs (run.sh: gunicorn with the project's configuration)."
  type        = string
  default     = "run.sh"
}

variable "memory_size" {
  description = "Function memory in MB (CPU grows with it); the cost table and the cold-start figure assume this size."
  type        = number
  default     = 320
}

variable "timeout" {
  description = "Longest answer in seconds: a stream runs at most this long (Lambda allows 900)."
  type        = number
  default     = 900
}

variable "architecture" {
  description = "Instruction set of the function (arm64 costs about 20% less per GB-second than x86_64)."
  type        = string
  default     = "arm64"
  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture is arm64 or x86_64."
  }
}

variable "reserved_concurrency" {
  description = "Most requests in flight at once: a cost cap (each open stream is one running function)."
  type        = number
  default     = 50
}

variable "web_adapter_layer_version" {
  description = "Version of AWS's Lambda Web Adapter layer (25 is the adapter 0.9.1, as in the Dockerfile's lambda target)."
  type        = number
  default     = 25
}

variable "environment_variables" {
  description = "More non-secret settings from .env.example. Secrets never go here."
  type        = map(string)
  default     = {}
}

# --- Exposure -------------------------------------------------------------------------------------------------
variable "domain_name" {
  description = "Host name developers use, served by API Gateway REST in stream mode. Null: the function URL itself."
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "ACM certificate for domain_name in the deployment's region (regional API Gateway domain)."
  type        = string
  default     = null
}

variable "public_base_url" {
  description = "PUBLIC_BASE_URL shown in the portal when there is no domain_name: the function_url output of a first apply."
  type        = string
  default     = null
}

# --- Bedrock and tokens ---------------------------------------------------------------------------------------
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
  description = "SECRETS_MIRROR: mirror token metadata to Secrets Manager ($0.40 per live token per month) and run sync_secrets every 15 minutes."
  type        = bool
  default     = true
}

variable "secret_prefix" {
  description = "SECRET_PREFIX, the only names the gateway may touch in Secrets Manager. Null: <name>/<environment>/tokens/."
  type        = string
  default     = null
}

variable "deployment_id" {
  description = "DEPLOYMENT_ID, which tags the token secrets this deployment creates. Null: the environment name."
  type        = string
  default     = null
}

# --- Data -----------------------------------------------------------------------------------------------------
variable "db_user" {
  description = "The app's own DSQL database role (CREATE ROLE ... WITH LOGIN; AWS IAM GRANT ... TO the function's role): the user of DATABASE_URL."
  type        = string
  default     = "sbc_app"
}

variable "deletion_protection" {
  description = "Protect the DSQL cluster from deletion."
  type        = bool
  default     = true
}

# --- Logs, alarms, cost ---------------------------------------------------------------------------------------
variable "log_retention_days" {
  description = "Days the log events are kept (storage is about $0.03 per GB-month)."
  type        = number
  default     = 365
}

variable "alarms_enabled" {
  description = "CloudWatch alarms on authentication failures, held-off addresses, 5xx and 429 answers (about $0.40/month for the four)."
  type        = bool
  default     = false
}

variable "alarm_actions" {
  description = "ARNs (an SNS topic) notified by the alarms."
  type        = list(string)
  default     = []
}

variable "alert_sns_topic_arn" {
  description = "An SNS topic for the gateway's budget alerts (ALERT_SNS_TOPIC_ARN). The role may publish to it and nothing else in SNS."
  type        = string
  default     = null
}

variable "monthly_budget_usd" {
  description = "An AWS Budgets alarm on the account's monthly cost, in USD (Bedrock included). Null: no budget."
  type        = number
  default     = null
}

variable "budget_emails" {
  description = "Addresses the budget alarm writes to (at 80% of actual and 100% of forecast cost)."
  type        = list(string)
  default     = []
}
