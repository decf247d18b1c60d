output "function_urls" {
  description = "Function name to URL; githubWebhook's is the webhook URL, tektonEvents' the forwarder's target."
  value       = { for name, f in google_cloudfunctions2_function.function : name => f.service_config[0].uri }
}

output "service_accounts" {
  description = "Identity to service account email."
  value       = { for name, sa in google_service_account.identity : name => sa.email }
}

output "tekton_sink_service_account" {
  description = "Annotate the forwarder's Kubernetes service account with this (iam.gke.io/gcp-service-account)."
  value       = google_service_account.tekton_sink.email
}

output "workload_identity_provider" {
  description = "The `workload_identity_provider` input of google-github-actions/auth."
  value       = google_iam_workload_identity_pool_provider.github.name
}

output "bucket" {
  description = "The artifact bucket."
  value       = google_storage_bucket.artifacts.name
}

output "endpoints" {
  description = "Endpoint id (modelgate.config.yaml `endpoint:`) to the Vertex AI endpoint's resource name."
  value       = { for id, e in google_vertex_ai_endpoint.endpoint : id => e.id }
}
