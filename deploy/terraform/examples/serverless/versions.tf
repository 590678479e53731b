terraform {
  required_version = ">= 1.6"
  required_providers {
    aws    = { source = "hashicorp/aws", version = ">= 6.25, < 7.0" }
    random = { source = "hashicorp/random", version = ">= 3.6" }
  }
  # The state holds DJANGO_SECRET_KEY: keep it in an encrypted, private backend, e.g.
  # backend "s3" { bucket = "my-terraform-state" key = "sbc/prod.tfstate" region = "us-east-1" encrypt = true use_lockfile = true }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = { app = "simple-bedrock-connector" }
  }
}
