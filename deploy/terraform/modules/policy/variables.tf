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
  description = "Whether the Secrets Manager mirror is on (SECRETS_MIRROR=on): only then may the app touch secrets under the prefix."
  type        = bool
  default     = true
}

variable "secret_prefix" {
  description = "SECRET_PREFIX: the only names under which the app may create, read, tag and delete secrets."
  type        = string
  default     = "sbc/tokens/"
}

variable "log_group_arn" {
  description = "The log group the app writes its events to itself (Lambda). Null when the platform ships stdout (ECS awslogs)."
  type        = string
  default     = null
}

variable "app_secret_arn" {
  description = "The app's own secret (DJANGO_SECRET_KEY, DATABASE_URL), read once at start by the Lambda image. Null when the platform injects it (ECS)."
  type        = string
  default     = null
}

variable "remote_env_object_arn" {
  description = "Zappa's remote_env S3 object, read at cold start by the Zappa zip. Null otherwise."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "The deployment's KMS key, needed to read the app secret or the remote_env object. Null when neither is read."
  type        = string
  default     = null
}

variable "alert_sns_topic_arn" {
  description = "The SNS topic budget alerts are published to (ALERT_SNS_TOPIC_ARN). Null: no SNS alerts, no sns:Publish."
  type        = string
  default     = null
}
