variable "project_id" {
  description = "The Google Cloud project modelgate runs in."
  type        = string
}

variable "region" {
  description = "Region of the functions and the artifact bucket."
  type        = string
  default     = "us-central1"
}

variable "bucket_name" {
  description = "The artifact bucket (the same name as `bucket` in modelgate.config.yaml)."
  type        = string
}

variable "github_repositories" {
  description = "Repositories whose GitHub Actions may act as the CI identity: name, and the immutable id and owner_id."
  type = list(object({
    name     = string
    id       = string
    owner_id = string
  }))
}

variable "webhook_invoker_members" {
  description = "Who may invoke githubWebhook (allUsers unless the organisation's domain-restricted sharing refuses it)."
  type        = list(string)
  default     = ["allUsers"]
}

variable "gke_project_id" {
  description = "Project of the GKE cluster that runs Tekton."
  type        = string
}

variable "tekton_pipeline_namespace" {
  description = "Namespace of the ML build PipelineRuns (a namespace listed under tekton.namespaces in modelgate.config.yaml)."
  type        = string
  default     = "ml-ci"
}

variable "tekton_pipeline_service_account" {
  description = "Kubernetes service account the ML build PipelineRuns run as."
  type        = string
  default     = "modelgate-builder"
}
