variable "region" {
  description = "AWS region of the deployment (where Bedrock has the models you need)."
  type        = string
}

variable "name" {
  description = "Project name; resources are named <name>-<environment>."
  type        = string
  default     = "sbc"
}

variable "environment" {
  description = "Deployment name, e.g. prod."
  type        = string
  default     = "prod"
}

variable "vpc_id" {
  description = "VPC to deploy into."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets in two or more zones."
  type        = list(string)
}

variable "public_subnet_ids" {
  description = "Public subnets for an internet-facing load balancer (public = true)."
  type        = list(string)
  default     = []
}

variable "private_route_table_ids" {
  description = "Route tables of the private subnets (S3 gateway endpoint for image pulls)."
  type        = list(string)
  default     = []
}

variable "create_vpc_endpoints" {
  description = "Interface endpoints for Bedrock, Secrets Manager, Logs, STS and ECR (false when a NAT gateway exists)."
  type        = bool
  default     = true
}

variable "public" {
  description = "Internet-facing, with WAF; false: internal load balancer."
  type        = bool
  default     = false
}

variable "allowed_cidrs" {
  description = "Client networks allowed on 443."
  type        = list(string)
}

variable "domain_name" {
  description = "Host name of the gateway."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate for domain_name."
  type        = string
}

variable "image" {
  description = "The gateway image in ECR (docker build --target server)."
  type        = string
}

variable "desired_count" {
  description = "Tasks behind the load balancer."
  type        = number
  default     = 2
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
