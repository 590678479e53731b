output "kms_key_arn" {
  description = "The deployment's customer-managed KMS key."
  value       = aws_kms_key.this.arn
}
