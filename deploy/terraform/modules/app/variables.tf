# What every shape asks for in the same words: naming, Bedrock, the token prefix, the app secret, logs and jobs.

# --- Naming -------------------------------------------------------------------------------------------------
variable "name" {
  description = "Project name; resources are named <name>-<environment>."
  type        = string
  default     = "sbc"
}

variable "environment" {
  description = "The environment (dev, prod): part of every name, the default DEPLOYMENT_ID and the default token prefix."
  type        = string
}

variable "deployment_id" {
  description = "DEPLOYMENT_ID: tags the token secrets this deployment creates, so its sync never touches another's. Null: the environment name."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

# --- Bedrock and tokens -------------------------------------------------------------------------------------
variable "bedrock_regions" {
  description = "Regions the gateway calls Bedrock in (BEDROCK_REGIONS), primary first."
  type        = list(string)
}

variable "bedrock_model_ids" {
  description = "Foundation model ids the gateway may invoke directly, e.g. anthropic.claude-sonnet-4-20250514-v1:0. Nothing else can be invoked."
  type        = list(string)
  default     = []
}

variable "bedrock_inference_profile_ids" {
  description = "System-defined (cross-region) inference profile ids the gateway may invoke, e.g. us.anthropic.claude-sonnet-4-20250514-v1:0; the model behind each is allowed in every region the profile routes to."
  type        = list(string)
  default     = []
}

variable "secrets_mirror" {
  description = "Whether the Secrets Manager mirror is on (SECRETS_MIRROR=on): only then may the app touch secrets under the prefix, and sync_secrets runs."
  type        = bool
  default     = true
}

variable "secret_prefix" {
  description = "SECRET_PREFIX: the only names under which the app may create, read, tag and delete secrets. Null: <name>/<environment>/tokens/, so two environments in one account never share one."
  type        = string
  default     = null
}

variable "alert_sns_topic_arn" {
  description = "The SNS topic budget alerts are published to (ALERT_SNS_TOPIC_ARN). Null: no SNS alerts, no sns:Publish."
  type        = string
  default     = null
}

# --- The app secret -----------------------------------------------------------------------------------------
variable "secret_store" {
  description = "Where DJANGO_SECRET_KEY (and secret_values) live: secretsmanager (one JSON secret, SBC_APP_SECRET_ARN), ssm (one SecureString holding the same JSON, SBC_APP_SECRET_PARAMETER) or none (the caller ships secret_environment itself, e.g. Zappa's remote_env)."
  type        = string
  default     = "secretsmanager"
  validation {
    condition     = contains(["secretsmanager", "ssm", "none"], var.secret_store)
    error_message = "secret_store is secretsmanager, ssm or none."
  }
}

variable "secret_values" {
  description = "More secret settings stored beside DJANGO_SECRET_KEY (DATABASE_URL with a password, REDIS_URL, ORIGIN_VERIFY_HEADER_VALUE); null values are left out."
  type        = map(string)
  default     = {}
  sensitive   = true
}

variable "kms_key_arn" {
  description = "A customer-managed key for the app secret and the log group, which the app may decrypt with. Null: AWS's own keys (aws/ssm, aws/secretsmanager, CloudWatch's default encryption)."
  type        = string
  default     = null
}

variable "remote_env_object_arn" {
  description = "Zappa's remote_env S3 object, read at cold start by the Zappa zip. Null otherwise."
  type        = string
  default     = null
}

variable "dsql_cluster_arn" {
  description = "The Aurora DSQL cluster the app connects to with an IAM token (dsql:DbConnect, never the admin connect). Null: no DSQL."
  type        = string
  default     = null
}

# --- Logs -------------------------------------------------------------------------------------------------
variable "log_group_name" {
  description = "The log group of the gateway's JSON events (request, response, auth_failure). Null: /<name>/<environment>."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Days the gateway's log events are kept."
  type        = number
  default     = 365
}

variable "app_writes_logs" {
  description = "Whether the app's role writes the log group itself (Lambda); false when the platform ships stdout (ECS awslogs)."
  type        = bool
  default     = true
}

variable "alarms_enabled" {
  description = "Alarms on authentication failures, held-off addresses, 5xx and 429 answers (metric filters on the log group)."
  type        = bool
  default     = true
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

# --- Scheduled jobs -----------------------------------------------------------------------------------------
variable "lambda_jobs" {
  description = "Run the scheduled jobs as EventBridge rules invoking jobs_function_name with {\"manage\": \"<command>\"}; false when the shape schedules them itself (ECS tasks)."
  type        = bool
  default     = false
}

variable "jobs_function_name" {
  description = "The Lambda function that runs one management command per {\"manage\": ...} event (lambda_jobs only)."
  type        = string
  default     = null
}

variable "jobs_function_arn" {
  description = "ARN of that function (lambda_jobs only)."
  type        = string
  default     = null
}
