# The secrets exist here; their values never pass through Terraform (state would hold them). Add a version
# with `gcloud secrets versions add` before the functions that mount them are created (see docs/deployment.md).
resource "google_secret_manager_secret" "secret" {
  for_each = local.data.secrets

  project   = var.project_id
  secret_id = each.key

  replication {
    auto {}
  }

  depends_on = [google_project_service.api]
}
