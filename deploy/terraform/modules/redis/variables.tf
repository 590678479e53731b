variable "name" {
  description = "Prefix of every resource name, e.g. sbc-prod."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the cache."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the cache nodes."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups of the gateway allowed to connect."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key for data at rest."
  type        = string
}

variable "node_type" {
  description = "Cache node type; the counters are tiny, the smallest node is plenty."
  type        = string
  default     = "cache.t4g.micro"
}

variable "nodes" {
  description = "Nodes: 1, or 2 and more for a replica with automatic failover in another zone."
  type        = number
  default     = 1
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
