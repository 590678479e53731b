variable "region" {
  description = "AWS region of the deployment: where Bedrock has your models and Aurora DSQL is offered."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Project name; resources are named <name>-<environment>."
  type        = string
  default     = "sbc"
}

variable "environment" {
  description = "The environment, e.g. prod: also DEPLOYMENT_ID and the token prefix sbc/<environment>/tokens/."
  type        = string
  default     = "prod"
}

variable "package_bucket" {
  description = "S3 bucket holding the zip (python3.11, linux arm64)."
  type        = string
}

variable "package_key" {
  description = "Key of this build's zip in package_bucket."
  type        = string
}

variable "memory_size" {
  description = "Function memory in MB."
  type        = number
  default     = 320
}

variable "timeout" {
  description = "Longest answer in seconds."
  type        = number
  default     = 900
}

variable "architecture" {
  description = "arm64 or x86_64."
  type        = string
  default     = "arm64"
}

variable "reserved_concurrency" {
  description = "Most requests in flight at once (a cost cap)."
  type        = number
  default     = 50
}

variable "domain_name" {
  description = "Custom host name through API Gateway REST (null: the function URL)."
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "ACM certificate for domain_name in the deployment's region."
  type        = string
  default     = null
}

variable "public_base_url" {
  description = "PUBLIC_BASE_URL without a domain_name: the function_url output of a first apply."
  type        = string
  default     = null
}

variable "bedrock_regions" {
  description = "BEDROCK_REGIONS, primary first."
  type        = list(string)
  default     = ["us-east-1"]
}

variable "bedrock_model_ids" {
  description = "Foundation model ids the gateway may invoke."
  type        = list(string)
  default     = []
}

variable "bedrock_inference_profile_ids" {
  description = "Inference profile ids the gateway may invoke."
  type        = list(string)
  default     = []
}

variable "secrets_mirror" {
  description = "SECRETS_MIRROR on or off ($0.40 per live token per month when on)."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Protect the DSQL cluster from deletion."
  type        = bool
  default     = true
}

variable "alarms_enabled" {
  description = "CloudWatch alarms on the gateway's log events (about $0.40/month)."
  type        = bool
  default     = false
}

variable "alarm_actions" {
  description = "SNS topic ARNs for the alarms."
  type        = list(string)
  default     = []
}

variable "monthly_budget_usd" {
  description = "AWS Budgets alarm on the account's monthly cost in USD (null: none)."
  type        = number
  default     = null
}

variable "budget_emails" {
  description = "Who the budget alarm writes to."
  type        = list(string)
  default     = []
}

variable "environment_variables" {
  description = "More non-secret settings (.env.example)."
  type        = map(string)
  default     = {}
}
