# One service account per function, plus the trainer and the CI identity; no keys are ever created: functions
# run as theirs, the training job as the trainer, GitHub Actions and Tekton through Workload Identity Federation.
resource "google_service_account" "identity" {
  for_each = local.data.identities

  project      = var.project_id
  account_id   = each.value.account_id
  display_name = "modelgate ${each.key}"
  description  = each.value.description

  depends_on = [google_project_service.api]
}

# Custom roles hold exactly the permission table's sets wherever a predefined role would hold more.
resource "google_project_iam_custom_role" "modelgate" {
  for_each = local.data.custom_roles

  project     = var.project_id
  role_id     = each.value.role_id
  title       = each.value.title
  description = "Generated from shared/permissions.ts."
  permissions = each.value.permissions
  stage       = "GA"

  depends_on = [google_project_service.api]
}

# Vertex AI grants are per project: resource-level IAM on endpoints is only in the google-beta provider.
resource "google_project_iam_member" "identity" {
  for_each = local.data.project_grants

  project = var.project_id
  role    = google_project_iam_custom_role.modelgate[each.value.role].id
  member  = "serviceAccount:${google_service_account.identity[each.value.identity].email}"
}

# Every bucket grant is limited to its prefix by an IAM condition (listing is authorised by the list prefix).
resource "google_storage_bucket_iam_member" "prefix" {
  for_each = local.data.bucket_grants

  bucket = google_storage_bucket.artifacts.name
  role   = google_project_iam_custom_role.modelgate[each.value.role].id
  member = "serviceAccount:${google_service_account.identity[each.value.identity].email}"

  condition {
    title      = "prefix ${each.value.prefix}"
    expression = replace(each.value.condition, "{bucket}", google_storage_bucket.artifacts.name)
  }
}

resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = local.data.topic_grants

  project = var.project_id
  topic   = google_pubsub_topic.topic[each.value.topic].name
  role    = each.value.role
  member  = "serviceAccount:${google_service_account.identity[each.value.identity].email}"
}

# launchTraining may start jobs that run as the trainer, and nothing else about that account.
resource "google_service_account_iam_member" "act_as" {
  for_each = local.data.service_account_grants

  service_account_id = google_service_account.identity[each.value.target].name
  role               = google_project_iam_custom_role.modelgate[each.value.role].id
  member             = "serviceAccount:${google_service_account.identity[each.value.identity].email}"
}

resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each = local.data.secret_grants

  project   = var.project_id
  secret_id = google_secret_manager_secret.secret[each.value.secret].secret_id
  role      = each.value.role
  member    = "serviceAccount:${google_service_account.identity[each.value.identity].email}"
}
