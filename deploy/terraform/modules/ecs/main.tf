# The streaming shape: the gateway image under gunicorn on ECS Fargate, behind an HTTPS load balancer whose idle
# timeout outlasts agent streams, with PostgreSQL on RDS, optional Valkey, the scheduled jobs as one-off tasks,
# VPC endpoints, WAF when public, and alarms on the gateway's log events.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  full_name  = module.app.full_name
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region
  partition  = data.aws_partition.current.partition
  tags       = module.app.tags

  # The image's repository, when it is in ECR: the execution role may pull from it and nothing else.
  ecr_match = regexall("^(\\d{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com/([^:@]+)", var.image)
  ecr_repository_arn = length(local.ecr_match) == 0 ? null : (
    "arn:${local.partition}:ecr:${local.ecr_match[0][1]}:${local.ecr_match[0][0]}:repository/${local.ecr_match[0][2]}"
  )

  # Scheduled jobs (modules/app, as zappa_settings.json's events): the same commands, as one-off tasks.
  jobs = module.app.jobs

  environment = merge(
    module.app.environment,
    {
      DJANGO_ALLOWED_HOSTS        = var.domain_name
      DJANGO_CSRF_TRUSTED_ORIGINS = "https://${var.domain_name}"
      PUBLIC_BASE_URL             = "https://${var.domain_name}"
      AWS_REGION                  = local.region
      DATABASE_CONN_MAX_AGE       = "60"
      WEB_CONCURRENCY             = tostring(var.web_concurrency)
      GUNICORN_THREADS            = tostring(var.gunicorn_threads)
      GUNICORN_TIMEOUT            = "300"
      GUNICORN_GRACEFUL_TIMEOUT   = "110"
      # Above the load balancer's idle timeout, so gunicorn never closes a connection the balancer reuses.
      GUNICORN_KEEPALIVE = tostring(var.idle_timeout + 5)
    },
    var.environment_variables,
  )
  secret_keys           = concat(["DJANGO_SECRET_KEY", "DATABASE_URL"], var.redis_enabled ? ["REDIS_URL"] : [])
  container_environment = [for key in sort(keys(local.environment)) : { name = key, value = local.environment[key] }]
  container_secrets = [
    for key in local.secret_keys : { name = key, valueFrom = "${module.app.app_secret_arn}:${key}::" }
  ]
  log_configuration = {
    logDriver = "awslogs"
    options = {
      awslogs-group         = module.app.log_group_name
      awslogs-region        = local.region
      awslogs-stream-prefix = "gateway"
      mode                  = "non-blocking"
      max-buffer-size       = "25m"
    }
  }
}

module "foundation" {
  source         = "../foundation"
  name           = local.full_name
  log_group_name = "/${var.name}/${var.environment}"
  tags           = local.tags
}

module "app" {
  source                        = "../app"
  name                          = var.name
  environment                   = var.environment
  tags                          = var.tags
  bedrock_regions               = var.bedrock_regions
  bedrock_model_ids             = var.bedrock_model_ids
  bedrock_inference_profile_ids = var.bedrock_inference_profile_ids
  secrets_mirror                = var.secrets_mirror
  secret_prefix                 = var.secret_prefix
  alert_sns_topic_arn           = var.alert_sns_topic_arn
  # ECS injects the secret's keys into the containers (the execution role reads it), never in the task definition.
  secret_store = "secretsmanager"
  secret_values = {
    DATABASE_URL = module.database.database_url
    REDIS_URL    = var.redis_enabled ? module.redis[0].redis_url : null
  }
  kms_key_arn        = module.foundation.kms_key_arn
  log_group_name     = "/${var.name}/${var.environment}"
  log_retention_days = var.log_retention_days
  alarm_actions      = var.alarm_actions
  # stdout goes to CloudWatch through the awslogs driver (the execution role): the app needs no Logs access.
  app_writes_logs = false
}

module "database" {
  source                    = "../database"
  name                      = local.full_name
  vpc_id                    = var.vpc_id
  subnet_ids                = var.private_subnet_ids
  client_security_group_ids = [aws_security_group.tasks.id]
  kms_key_arn               = module.foundation.kms_key_arn
  instance_class            = var.db_instance_class
  multi_az                  = var.db_multi_az
  deletion_protection       = var.deletion_protection
  proxy_enabled             = false
  tags                      = local.tags
}

module "redis" {
  source                    = "../redis"
  count                     = var.redis_enabled ? 1 : 0
  name                      = local.full_name
  vpc_id                    = var.vpc_id
  subnet_ids                = var.private_subnet_ids
  client_security_group_ids = [aws_security_group.tasks.id]
  kms_key_arn               = module.foundation.kms_key_arn
  tags                      = local.tags
}

module "endpoints" {
  source                    = "../endpoints"
  count                     = var.create_vpc_endpoints ? 1 : 0
  name                      = local.full_name
  vpc_id                    = var.vpc_id
  subnet_ids                = var.private_subnet_ids
  client_security_group_ids = [aws_security_group.tasks.id]
  ecr                       = true
  route_table_ids           = var.private_route_table_ids
  tags                      = local.tags
}

module "waf" {
  source                     = "../waf"
  count                      = var.public ? 1 : 0
  name                       = local.full_name
  scope                      = "REGIONAL"
  requests_per_ip_per_minute = var.waf_requests_per_ip_per_minute
  kms_key_arn                = module.foundation.kms_key_arn
  alarm_actions              = var.alarm_actions
  tags                       = local.tags
}

# --- Network ----------------------------------------------------------------------------------------------------
resource "aws_security_group" "alb" {
  name        = "${local.full_name}-alb"
  description = "Load balancer of ${local.full_name}: HTTPS from clients, HTTP to the tasks"
  vpc_id      = var.vpc_id
  tags        = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each          = toset(var.allowed_cidrs)
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from clients"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  security_group_id            = aws_security_group.alb.id
  description                  = "gunicorn on the tasks"
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8000
  referenced_security_group_id = aws_security_group.tasks.id
}

resource "aws_security_group" "tasks" {
  name        = "${local.full_name}-tasks"
  description = "Gateway tasks of ${local.full_name}"
  vpc_id      = var.vpc_id
  tags        = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_alb" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "gunicorn from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8000
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  #checkov:skip=CKV_AWS_382:HTTPS only, to AWS APIs (Bedrock in every BEDROCK_REGIONS region, Secrets Manager, STS, ECR) whose addresses are not fixed; through the VPC endpoints or a NAT gateway
  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS to AWS APIs"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "tasks_postgres" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "PostgreSQL"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = module.database.security_group_id
}

resource "aws_vpc_security_group_egress_rule" "tasks_redis" {
  count                        = var.redis_enabled ? 1 : 0
  security_group_id            = aws_security_group.tasks.id
  description                  = "Valkey"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = module.redis[0].security_group_id
}

# --- Load balancer ------------------------------------------------------------------------------------------------
resource "aws_lb" "this" {
  name                       = local.full_name
  internal                   = !var.public
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.alb.id]
  subnets                    = var.public ? var.public_subnet_ids : var.private_subnet_ids
  idle_timeout               = var.idle_timeout
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  tags                       = local.tags

  access_logs {
    bucket  = coalesce(var.access_logs_bucket, "unused")
    prefix  = local.full_name
    enabled = var.access_logs_bucket != null
  }
}

resource "aws_lb_target_group" "this" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; the tasks are reachable only from its security group inside the VPC
  name                 = local.full_name
  port                 = 8000
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 120
  tags                 = local.tags

  health_check {
    path                = "/healthz"
    matcher             = "200"
    interval            = 15
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn
  tags              = local.tags

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }
}

resource "aws_wafv2_web_acl_association" "this" {
  count        = var.public ? 1 : 0
  resource_arn = aws_lb.this.arn
  web_acl_arn  = module.waf[0].web_acl_arn
}

resource "aws_cloudwatch_metric_alarm" "alb_5xx" {
  alarm_name          = "${local.full_name}-LoadBalancer5xx"
  alarm_description   = "The load balancer answered 5xx itself: no healthy task, or a task that closed the connection"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_ELB_5XX_Count"
  dimensions          = { LoadBalancer = aws_lb.this.arn_suffix }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 5
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = local.tags
}

# --- ECS ------------------------------------------------------------------------------------------------------------
resource "aws_ecs_cluster" "this" {
  name = local.full_name
  tags = local.tags

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_task_definition" "gateway" {
  family                   = local.full_name
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  tags                     = local.tags

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # The root file system is read-only; gunicorn's heartbeat files go to a scratch volume.
  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name                   = "gateway"
    image                  = var.image
    essential              = true
    command                = ["python", "-m", "gunicorn", "-c", "sbcproject/gunicorn.conf.py"]
    portMappings           = [{ containerPort = 8000, protocol = "tcp" }]
    environment            = local.container_environment
    secrets                = local.container_secrets
    readonlyRootFilesystem = true
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    stopTimeout            = 120
    healthCheck = {
      command     = ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 20
    }
    logConfiguration = local.log_configuration
  }])
}

# The scheduled jobs and `migrate`: the same image and settings, one management command per run, no port.
resource "aws_ecs_task_definition" "jobs" {
  family                   = "${local.full_name}-jobs"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  tags                     = local.tags

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name                   = "jobs"
    image                  = var.image
    essential              = true
    command                = ["python", "manage.py", "check", "--deploy"]
    environment            = local.container_environment
    secrets                = local.container_secrets
    readonlyRootFilesystem = true
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    logConfiguration       = merge(local.log_configuration, { options = merge(local.log_configuration.options, { awslogs-stream-prefix = "jobs" }) })
  }])
}

resource "aws_ecs_service" "gateway" {
  name                               = local.full_name
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.gateway.arn
  desired_count                      = var.desired_count
  launch_type                        = "FARGATE"
  health_check_grace_period_seconds  = 60
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  enable_execute_command             = false
  propagate_tags                     = "SERVICE"
  tags                               = local.tags

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
    container_name   = "gateway"
    container_port   = 8000
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  depends_on = [aws_lb_listener.https]
}

resource "aws_scheduler_schedule" "jobs" {
  for_each                     = local.jobs
  name                         = "${local.full_name}-${each.key}"
  schedule_expression          = each.value.schedule
  schedule_expression_timezone = "UTC"
  kms_key_arn                  = module.foundation.kms_key_arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_ecs_cluster.this.arn
    role_arn = aws_iam_role.scheduler.arn
    input = jsonencode({
      containerOverrides = [{ name = "jobs", command = ["python", "manage.py", each.value.command] }]
    })

    ecs_parameters {
      task_definition_arn = aws_ecs_task_definition.jobs.arn_without_revision
      launch_type         = "FARGATE"
      network_configuration {
        subnets          = var.private_subnet_ids
        security_groups  = [aws_security_group.tasks.id]
        assign_public_ip = false
      }
    }

    retry_policy {
      maximum_retry_attempts = 2
    }
  }
}

# Where what modules/app now holds used to be: kept in place, not destroyed and created again.
moved {
  from = module.foundation.aws_cloudwatch_log_group.this
  to   = module.app.aws_cloudwatch_log_group.this
}

moved {
  from = module.foundation.aws_cloudwatch_log_metric_filter.this
  to   = module.app.aws_cloudwatch_log_metric_filter.this
}

moved {
  from = module.foundation.aws_cloudwatch_metric_alarm.this
  to   = module.app.aws_cloudwatch_metric_alarm.this
}

moved {
  from = random_password.secret_key
  to   = module.app.random_password.secret_key
}

moved {
  from = aws_secretsmanager_secret.app
  to   = module.app.aws_secretsmanager_secret.app[0]
}

moved {
  from = aws_secretsmanager_secret_version.app
  to   = module.app.aws_secretsmanager_secret_version.app[0]
}
