# GitHub Actions reach Google Cloud without keys: GitHub's OIDC token is exchanged for the CI identity, and only
# for workflows of the listed repositories (the provider's attribute condition refuses every other token).
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
  attribute_condition                = "assertion.repository in ${jsonencode(var.github_repositories)}"

  attribute_mapping = {
    "google.subject"             = "assertion.sub"
    "attribute.repository"       = "assertion.repository"
    "attribute.repository_owner" = "assertion.repository_owner"
    "attribute.ref"              = "assertion.ref"
  }

  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}

resource "google_service_account_iam_member" "github_actions" {
  for_each = toset(var.github_repositories)

  service_account_id = google_service_account.identity["githubActions"].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/attribute.repository/${each.value}"
}

# Tekton on GKE: the ML build pipeline's Kubernetes service account acts as the trainer (it writes models/), and
# the sink forwarder's acts as an account whose only right is invoking tektonEvents.
resource "google_service_account_iam_member" "tekton_pipeline" {
  service_account_id = google_service_account.identity["trainer"].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.gke_project_id}.svc.id.goog[${var.tekton_pipeline_namespace}/${var.tekton_pipeline_service_account}]"
}

resource "google_service_account" "tekton_sink" {
  project      = var.project_id
  account_id   = "mg-tekton-sink"
  display_name = "modelgate Tekton sink forwarder"
  description  = "Mints ID tokens to invoke tektonEvents; nothing else."
}

resource "google_service_account_iam_member" "tekton_sink" {
  service_account_id = google_service_account.tekton_sink.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.gke_project_id}.svc.id.goog[${var.tekton_sink_namespace}/${var.tekton_sink_service_account}]"
}
