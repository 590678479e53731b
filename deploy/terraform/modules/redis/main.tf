# ElastiCache (Valkey, Redis-compatible) for the per-minute, concurrency and failed-authentication counters when
# several instances share limits (REDIS_URL). TLS and an AUTH token: the URL is kept in the app secret.

resource "random_password" "auth" {
  length  = 48
  special = false
}

resource "aws_elasticache_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

resource "aws_security_group" "this" {
  name        = "${var.name}-redis"
  description = "Valkey for ${var.name}: reachable from the gateway only"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "from_clients" {
  for_each                     = toset(var.client_security_group_ids)
  security_group_id            = aws_security_group.this.id
  description                  = "Valkey from the gateway"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = each.value
}

resource "aws_elasticache_replication_group" "this" {
  #checkov:skip=CKV2_AWS_50:The counters are rebuilt within a minute and the gateway falls back to the database while Valkey is down (docs/operations.md); set nodes = 2 for a replica with failover
  replication_group_id       = var.name
  description                = "Shared rate-limit counters of ${var.name}"
  engine                     = "valkey"
  engine_version             = "8.0"
  node_type                  = var.node_type
  num_cache_clusters         = var.nodes
  automatic_failover_enabled = var.nodes > 1
  multi_az_enabled           = var.nodes > 1
  port                       = 6379
  subnet_group_name          = aws_elasticache_subnet_group.this.name
  security_group_ids         = [aws_security_group.this.id]
  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = true
  auth_token                 = random_password.auth.result
  snapshot_retention_limit   = 1
  auto_minor_version_upgrade = true
  tags                       = var.tags
}
