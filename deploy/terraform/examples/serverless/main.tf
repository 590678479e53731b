# The gateway for a small team at about $0 while idle: Lambda outside any VPC, answers streamed through a function
# URL by the Lambda Web Adapter, Aurora DSQL as the database. See deploy/terraform/README.md.
#   cp terraform.tfvars.example terraform.tfvars   # then edit it
#   terraform init && terraform apply
# then once: the database role (database_role_setup output), migrations (run_migrations_command), the grants
# (database_grants).

module "gateway" {
  source = "../../modules/serverless"

  name                          = var.name
  environment                   = var.environment
  package_bucket                = var.package_bucket
  package_key                   = var.package_key
  memory_size                   = var.memory_size
  timeout                       = var.timeout
  architecture                  = var.architecture
  reserved_concurrency          = var.reserved_concurrency
  domain_name                   = var.domain_name
  certificate_arn               = var.certificate_arn
  public_base_url               = var.public_base_url
  bedrock_regions               = var.bedrock_regions
  bedrock_model_ids             = var.bedrock_model_ids
  bedrock_inference_profile_ids = var.bedrock_inference_profile_ids
  secrets_mirror                = var.secrets_mirror
  deletion_protection           = var.deletion_protection
  alarms_enabled                = var.alarms_enabled
  alarm_actions                 = var.alarm_actions
  monthly_budget_usd            = var.monthly_budget_usd
  budget_emails                 = var.budget_emails
  environment_variables         = var.environment_variables
}
