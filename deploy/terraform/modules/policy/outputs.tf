output "json" {
  description = "The app role's policy document."
  value       = data.aws_iam_policy_document.app.json
}

output "bedrock_resources" {
  description = "The model and inference-profile ARNs the app may invoke."
  value       = local.bedrock_resources
}
