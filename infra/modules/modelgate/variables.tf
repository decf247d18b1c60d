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
    error_message = "bucket_name must be a Cloud Storage bucket name (3 to 63 characters of a-z, 0-9, '.', '_', '-')."
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
  description = "Repositories whose GitHub Actions may act as the CI identity through Workload Identity Federation: name (owner/name, for reading), id and owner_id (the immutable numbers GitHub puts in the token's repository_id and repository_owner_id; `gh api repos/OWNER/NAME --jq '[.id, .owner.id]'`). Trust is bound to the ids, so a deleted and re-registered name gains nothing."
  type = list(object({
    name     = string
    id       = string
    owner_id = string
  }))

  validation {
    condition = length(var.github_repositories) > 0 && alltrue([
      for r in var.github_repositories :
      can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", r.name)) && can(regex("^[1-9][0-9]*$", r.id)) && can(regex("^[1-9][0-9]*$", r.owner_id))
    ])
    error_message = "github_repositories must list at least one repository as { name = \"owner/name\", id = \"<repository id>\", owner_id = \"<owner id>\" }, the ids as decimal numbers."
  }
}

variable "webhook_invoker_members" {
  description = "Who may invoke githubWebhook. GitHub calls it without Google credentials, so the default is allUsers; in an organisation whose iam.allowedPolicyMemberDomains refuses allUsers, exempt the project or list here the service account of an API gateway that fronts the webhook (docs/deployment.md)."
  type        = list(string)
  default     = ["allUsers"]

  validation {
    condition     = alltrue([for m in var.webhook_invoker_members : m == "allUsers" || can(regex("^(serviceAccount|group|user|domain|principal|principalSet):", m))])
    error_message = "webhook_invoker_members takes allUsers or IAM members such as serviceAccount:gateway@PROJECT.iam.gserviceaccount.com."
  }
}

variable "signed_invoker_members" {
  description = "Who may invoke fluxEvents. Flux's notification-controller posts without Google credentials (it signs each body with HMAC-SHA256 instead), so the default is allUsers; the function's ingress is internal, so only the VPC reaches it. In an organisation whose iam.allowedPolicyMemberDomains refuses allUsers, list here the service account of a proxy in the cluster that adds an ID token (docs/flux.md)."
  type        = list(string)
  default     = ["allUsers"]

  validation {
    condition     = alltrue([for m in var.signed_invoker_members : m == "allUsers" || can(regex("^(serviceAccount|group|user|domain|principal|principalSet):", m))])
    error_message = "signed_invoker_members takes allUsers or IAM members such as serviceAccount:flux-proxy@PROJECT.iam.gserviceaccount.com."
  }
}

variable "gke_project_id" {
  description = "Project of the GKE cluster that runs Tekton. The cluster must have Workload Identity enabled before the first apply: that creates the pool PROJECT.svc.id.goog the Tekton bindings name."
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
  description = "Memory, timeout and instance limits per function; what is unset keeps the default (memory and timeout from shared/topology.ts: 540 s, 60 s for the HTTP ingress functions; 10 instances)."
  type = map(object({
    memory          = optional(string)
    timeout_seconds = optional(number)
    max_instances   = optional(number)
  }))
  default = {}
}

variable "reconcile_schedule" {
  description = "When Cloud Scheduler starts the reconcile of every endpoint with its applied release (unix-cron, e.g. \"*/15 * * * *\")."
  type        = string
  default     = "*/15 * * * *"

  validation {
    condition     = length(split(" ", trimspace(var.reconcile_schedule))) == 5
    error_message = "reconcile_schedule is a unix-cron expression of five fields, such as \"*/15 * * * *\"."
  }
}

variable "reconcile_time_zone" {
  description = "The time zone reconcile_schedule is read in (a tz database name)."
  type        = string
  default     = "Etc/UTC"
}
