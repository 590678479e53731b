# The gateway as a container on ECS Fargate behind an HTTPS load balancer (streamed answers, no time limit).
#   cp terraform.tfvars.example terraform.tfvars   # then edit it
#   terraform init && terraform apply
# then run migrations once (the run_management_command output) and create an admin the same way.

module "gateway" {
  source = "../../modules/ecs"

  name                          = var.name
  environment                   = var.environment
  vpc_id                        = var.vpc_id
  private_subnet_ids            = var.private_subnet_ids
  public_subnet_ids             = var.public_subnet_ids
  private_route_table_ids       = var.private_route_table_ids
  create_vpc_endpoints          = var.create_vpc_endpoints
  public                        = var.public
  allowed_cidrs                 = var.allowed_cidrs
  domain_name                   = var.domain_name
  certificate_arn               = var.certificate_arn
  image                         = var.image
  desired_count                 = var.desired_count
  bedrock_regions               = var.bedrock_regions
  bedrock_model_ids             = var.bedrock_model_ids
  bedrock_inference_profile_ids = var.bedrock_inference_profile_ids
  secrets_mirror                = var.secrets_mirror
  redis_enabled                 = var.redis_enabled
  alarm_actions                 = var.alarm_actions
  environment_variables         = var.environment_variables
}
