# Interface endpoints, so the gateway reaches Bedrock, Secrets Manager, CloudWatch Logs and STS from private
# subnets without a NAT gateway. They serve this region only: BEDROCK_REGIONS naming other regions still needs a
# NAT gateway (or endpoints in a peered VPC there) for those calls.

data "aws_region" "current" {}

locals {
  services = toset(concat(var.services, var.ecr ? ["ecr.api", "ecr.dkr"] : []))
}

resource "aws_security_group" "this" {
  name        = "${var.name}-endpoints"
  description = "VPC endpoints of ${var.name}: HTTPS from the gateway"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  for_each                     = toset(var.client_security_group_ids)
  security_group_id            = aws_security_group.this.id
  description                  = "HTTPS from the gateway"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = each.value
}

resource "aws_vpc_endpoint" "interface" {
  for_each            = local.services
  vpc_id              = var.vpc_id
  service_name        = "com.amazonaws.${data.aws_region.current.region}.${each.value}"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = var.subnet_ids
  security_group_ids  = [aws_security_group.this.id]
  private_dns_enabled = true
  tags                = merge(var.tags, { Name = "${var.name}-${each.value}" })
}

resource "aws_vpc_endpoint" "s3" {
  count             = var.ecr ? 1 : 0
  vpc_id            = var.vpc_id
  service_name      = "com.amazonaws.${data.aws_region.current.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = var.route_table_ids
  tags              = merge(var.tags, { Name = "${var.name}-s3" })
}
