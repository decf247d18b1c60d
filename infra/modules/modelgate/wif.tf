# GitHub Actions reach Google Cloud without keys: GitHub's OIDC token is exchanged for the CI identity, and only
# for workflows of the listed repositories. Trust is bound to repository_id and repository_owner_id, numbers
# GitHub never reuses: a repository or owner name can be deleted and registered again by someone else.
locals {
  github_trusted = join(" || ", [
    for r in var.github_repositories :
    "(assertion.repository_id == \"${r.id}\" && assertion.repository_owner_id == \"${r.owner_id}\")"
  ])
}

resource "google_iam_workload_identity_pool" "github" {
  project                   = var.project_id
  workload_identity_pool_id = "modelgate-github"
  display_name              = "modelgate GitHub Actions"

  depends_on = [google_project_service.api]
}

resource "google_iam_workload_identity_pool_provider" "github" {
  project                            = var.project_id
  workload_identity_pool_id          = google_iam_workload_identity_pool.github.workload_identity_pool_id
  workload_identity_pool_provider_id = "github-actions"
  display_name                       = "GitHub Actions OIDC"
  attribute_condition                = local.github_trusted

  attribute_mapping = {
    "google.subject"                = "assertion.sub"
    "attribute.repository_id"       = "assertion.repository_id"
    "attribute.repository_owner_id" = "assertion.repository_owner_id"
    "attribute.repository"          = "assertion.repository"
    "attribute.ref"                 = "assertion.ref"
  }

  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}

resource "google_service_account_iam_member" "github_actions" {
  for_each = { for r in var.github_repositories : r.name => r }

  service_account_id = google_service_account.identity["githubActions"].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/attribute.repository_id/${each.value.id}"
}

# Tekton on GKE: the ML build pipeline's Kubernetes service account acts as the trainer (it writes models/), and
# the sink forwarder's acts as an account whose only right is invoking tektonEvents.
#
# What must exist first: the GKE cluster in var.gke_project_id with Workload Identity enabled
# (`--workload-pool=GKE_PROJECT.svc.id.goog`), which creates the identity pool these members name, and node pools
# running the GKE metadata server. The Kubernetes service accounts themselves may come later
# (infra/tekton/*.yaml); each needs the annotation iam.gke.io/gcp-service-account naming its Google account.
resource "google_service_account_iam_member" "tekton_pipeline" {
  service_account_id = google_service_account.identity["trainer"].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.gke_project_id}.svc.id.goog[${var.tekton_pipeline_namespace}/${var.tekton_pipeline_service_account}]"
}

resource "google_service_account" "tekton_sink" {
  project      = var.project_id
  account_id   = "mg-tekton-sink"
  display_name = "modelgate Tekton sink forwarder"
  description  = "Mints ID tokens to invoke tektonEvents; nothing else. Used by the forwarder's Kubernetes service account through GKE Workload Identity (the cluster must have it enabled)."

  depends_on = [google_project_service.api]
}

resource "google_service_account_iam_member" "tekton_sink" {
  service_account_id = google_service_account.tekton_sink.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.gke_project_id}.svc.id.goog[${var.tekton_sink_namespace}/${var.tekton_sink_service_account}]"
}
