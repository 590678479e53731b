terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.25, < 7.0"
      # CloudFront's web ACL lives in us-east-1 whatever the deployment's region.
      configuration_aliases = [aws.us_east_1]
    }
    random = { source = "hashicorp/random", version = ">= 3.6" }
  }
}
