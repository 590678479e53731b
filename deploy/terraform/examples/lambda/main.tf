# The gateway on Lambda behind a function URL: the image with the Lambda Web Adapter (streamed answers, up to
# 15 minutes), or Zappa's zip (package_type = "Zip": answers arrive whole).
#   cp terraform.tfvars.example terraform.tfvars   # then edit it
#   terraform init && terraform apply
# then run migrations once (the run_management_command output).

module "gateway" {
  source    = "../../modules/lambda"
  providers = { aws = aws, aws.us_east_1 = aws.us_east_1 }

  name                          = var.name
  environment                   = var.environment
  package_type                  = var.package_type
  zip_path                      = var.zip_path
  image_uri                     = var.image_uri
  jobs_image_uri                = var.jobs_image_uri
  vpc_id                        = var.vpc_id
  private_subnet_ids            = var.private_subnet_ids
  create_vpc_endpoints          = var.create_vpc_endpoints
  public                        = var.public
  domain_name                   = var.domain_name
  cloudfront_certificate_arn    = var.cloudfront_certificate_arn
  public_base_url               = var.public_base_url
  bedrock_regions               = var.bedrock_regions
  bedrock_model_ids             = var.bedrock_model_ids
  bedrock_inference_profile_ids = var.bedrock_inference_profile_ids
  secrets_mirror                = var.secrets_mirror
  redis_enabled                 = var.redis_enabled
  alarm_actions                 = var.alarm_actions
  environment_variables         = var.environment_variables
}
