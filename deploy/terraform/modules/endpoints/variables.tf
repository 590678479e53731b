variable "name" {
  description = "Prefix of every resource name, e.g. sbc-prod."
  type        = string
}

variable "vpc_id" {
  description = "VPC the gateway runs in."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets that get an endpoint interface (one per zone)."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups of the gateway allowed to reach the endpoints on 443."
  type        = list(string)
}

variable "services" {
  description = "Interface endpoints: Bedrock Runtime, Secrets Manager, CloudWatch Logs and STS are what the gateway calls."
  type        = list(string)
  default     = ["bedrock-runtime", "secretsmanager", "logs", "sts"]
}

variable "ecr" {
  description = "Also the endpoints Fargate needs to pull the image without a NAT gateway (ECR API, ECR registry, S3 gateway)."
  type        = bool
  default     = false
}

variable "route_table_ids" {
  description = "Route tables of the private subnets, for the S3 gateway endpoint (only with ecr = true)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
