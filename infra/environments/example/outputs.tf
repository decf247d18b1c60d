# The module's outputs, passed through whole rather than one by one (one place to add an output: the module):
# `terraform output -json modelgate | jq -r .function_urls.githubWebhook`. What each is: modules/modelgate/outputs.tf.
output "modelgate" {
  description = "The module's outputs: function_urls, service_accounts, tekton_sink_service_account, workload_identity_provider, bucket, endpoints."
  value       = module.modelgate
}
