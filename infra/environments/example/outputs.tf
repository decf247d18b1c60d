output "function_urls" {
  description = "Function name to URL."
  value       = module.modelgate.function_urls
}

output "service_accounts" {
  description = "Identity to service account email."
  value       = module.modelgate.service_accounts
}

output "tekton_sink_service_account" {
  description = "The Google service account for the forwarder's Kubernetes service account annotation."
  value       = module.modelgate.tekton_sink_service_account
}

output "workload_identity_provider" {
  description = "For google-github-actions/auth."
  value       = module.modelgate.workload_identity_provider
}

output "endpoints" {
  description = "Vertex AI endpoints created for modelgate.config.yaml's `endpoint:` values."
  value       = module.modelgate.endpoints
}
