# The web ACL in front of a public gateway: a rate-based rule per client address (the hardening checklist's
# throttling per IP), AWS's known-bad-inputs and IP-reputation rule groups, a request log and an alarm on blocks.
# AWS's common rule set is left out on purpose: its 8 KB body-size rule would block ordinary chat requests.

data "aws_region" "current" {}

resource "aws_wafv2_web_acl" "this" {
  name        = var.name
  description = "Per-address rate limit and managed protections for ${var.name}"
  scope       = var.scope
  tags        = var.tags

  default_action {
    allow {}
  }

  rule {
    name     = "RatePerClientAddress"
    priority = 0
    action {
      block {}
    }
    statement {
      rate_based_statement {
        limit                 = var.requests_per_ip_per_minute
        evaluation_window_sec = 60
        aggregate_key_type    = "IP"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-per-ip"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "KnownBadInputs"
    priority = 1
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
        vendor_name = "AWS"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "IpReputation"
    priority = 2
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesAmazonIpReputationList"
        vendor_name = "AWS"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-ip-reputation"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = var.name
    sampled_requests_enabled   = true
  }
}

# WAF requires the group name to start with aws-waf-logs-.
resource "aws_cloudwatch_log_group" "this" {
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.this.arn]

  # Clients send their gateway token in these headers: never in WAF's log.
  redacted_fields {
    single_header {
      name = "authorization"
    }
  }
  redacted_fields {
    single_header {
      name = "x-api-key"
    }
  }
  redacted_fields {
    single_header {
      name = "cookie"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "rate_limited" {
  alarm_name          = "${var.name}-RateLimitedByWaf"
  alarm_description   = "WAF blocked client addresses that sent more than ${var.requests_per_ip_per_minute} requests a minute"
  namespace           = "AWS/WAFV2"
  metric_name         = "BlockedRequests"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
  dimensions = {
    for key, value in {
      WebACL = aws_wafv2_web_acl.this.name
      Rule   = "RatePerClientAddress"
      Region = var.scope == "REGIONAL" ? data.aws_region.current.region : null
    } : key => value if value != null
  }
}
