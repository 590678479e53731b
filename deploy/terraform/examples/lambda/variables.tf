variable "region" {
  description = "AWS region of the deployment (where Bedrock has the models you need)."
  type        = string
}

variable "name" {
  description = "Project name (zappa_settings.json project_name)."
  type        = string
  default     = "sbc"
}

variable "environment" {
  description = "The stage, e.g. prod (the function is <name>-<environment>)."
  type        = string
  default     = "prod"
}

variable "package_type" {
  description = "Image (streaming, Lambda Web Adapter) or Zip (Zappa's package, buffered)."
  type        = string
  default     = "Image"
}

variable "zip_path" {
  description = "dist/sbc-<environment>.zip from `make package STAGE=<environment>` (Zip only)."
  type        = string
  default     = null
}

variable "image_uri" {
  description = "docker build --target lambda, pushed to ECR (Image only)."
  type        = string
  default     = null
}

variable "jobs_image_uri" {
  description = "docker build --target jobs, pushed to ECR (Image only)."
  type        = string
  default     = null
}

variable "vpc_id" {
  description = "VPC to deploy into."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets in two or more zones."
  type        = list(string)
}

variable "create_vpc_endpoints" {
  description = "Interface endpoints for Bedrock, Secrets Manager, Logs and STS (false when a NAT gateway exists)."
  type        = bool
  default     = true
}

variable "public" {
  description = "CloudFront with WAF in front of the function URL."
  type        = bool
  default     = false
}

variable "domain_name" {
  description = "Host name of the gateway (required when public)."
  type        = string
  default     = null
}

variable "cloudfront_certificate_arn" {
  description = "ACM certificate for domain_name in us-east-1 (required when public)."
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
  description = "SECRETS_MIRROR on or off."
  type        = bool
  default     = true
}

variable "redis_enabled" {
  description = "ElastiCache (Valkey) for shared counters."
  type        = bool
  default     = false
}

variable "alarm_actions" {
  description = "SNS topic ARNs for the alarms."
  type        = list(string)
  default     = []
}

variable "environment_variables" {
  description = "More non-secret settings (.env.example)."
  type        = map(string)
  default     = {}
}
