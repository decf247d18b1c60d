variable "project_id" {
  description = "The Google Cloud project modelgate runs in."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project id."
  }
}

variable "region" {
  description = "Region of the functions, the topics' triggers and the artifact bucket (Eventarc needs the bucket in the trigger's region)."
  type        = string
  default     = "us-central1"
}

variable "bucket_name" {
  description = "The artifact bucket: models, datasets, golden sets, reports, registry, ledger, claims."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a Cloud Storage bucket name."
  }
}

variable "function_bundles" {
  description = "dist/functions/manifest.json from `npm run build`: function name to its zip (relative to bundle_dir) and sha256."
  type = map(object({
    zip    = string
    sha256 = string
  }))
}

variable "bundle_dir" {
  description = "The directory the zips in function_bundles are relative to (dist/functions)."
  type        = string
}

variable "github_repositories" {
  description = "Repositories (owner/name) whose GitHub Actions may act as the CI identity through Workload Identity Federation."
  type        = list(string)

  validation {
    condition     = length(var.github_repositories) > 0 && alltrue([for r in var.github_repositories : can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", r))])
    error_message = "github_repositories must list at least one repository as \"owner/name\"."
  }
}

variable "gke_project_id" {
  description = "Project of the GKE cluster that runs Tekton (its workload pool is PROJECT.svc.id.goog)."
  type        = string
}

variable "tekton_pipeline_namespace" {
  description = "Namespace of the Tekton PipelineRuns whose train-and-package step writes models/ as the trainer."
  type        = string
  default     = "ml-ci"
}

variable "tekton_pipeline_service_account" {
  description = "Kubernetes service account the ML build PipelineRuns run as."
  type        = string
  default     = "modelgate-builder"
}

variable "tekton_sink_namespace" {
  description = "Namespace of the authenticating forwarder that relays Tekton's CloudEvents to tektonEvents."
  type        = string
  default     = "tekton-pipelines"
}

variable "tekton_sink_service_account" {
  description = "Kubernetes service account of the authenticating forwarder."
  type        = string
  default     = "modelgate-sink-forwarder"
}

variable "ledger_soft_delete_days" {
  description = "Days a deleted object (a ledger record above all) stays restorable."
  type        = number
  default     = 90

  validation {
    condition     = var.ledger_soft_delete_days >= 7 && var.ledger_soft_delete_days <= 90
    error_message = "Soft delete retention is between 7 and 90 days."
  }
}

variable "claim_expiry_days" {
  description = "Days after which step claims under idempotency/ are deleted by the lifecycle rule."
  type        = number
  default     = 30
}

variable "function_settings" {
  description = "Memory, timeout and instance limits per function; what is unset keeps the default (memory from shared/function-runtime.ts, 540 s, 10 instances)."
  type = map(object({
    memory          = optional(string)
    timeout_seconds = optional(number)
    max_instances   = optional(number)
  }))
  default = {}
}
