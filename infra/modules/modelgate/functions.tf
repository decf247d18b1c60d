locals {
  function_settings = {
    for name, f in local.data.functions : name => merge(
      { memory = f.memory, timeout_seconds = 540, max_instances = 10 },
      { for key, value in try(var.function_settings[name], {}) : key => value if value != null },
    )
  }
}

# The eight functions, each from its own content-hashed bundle and running as its own account. MODELGATE_CONFIG
# is left at its default: the bundle carries modelgate.config.yaml next to index.mjs.
resource "google_cloudfunctions2_function" "function" {
  for_each = local.data.functions

  project  = var.project_id
  name     = each.value.name
  location = var.region

  build_config {
    runtime         = "nodejs22"
    entry_point     = each.key
    service_account = google_service_account.builder.id

    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.bundle[each.key].name
      }
    }
  }

  service_config {
    service_account_email          = google_service_account.identity[each.value.identity].email
    available_memory               = local.function_settings[each.key].memory
    timeout_seconds                = local.function_settings[each.key].timeout_seconds
    max_instance_count             = local.function_settings[each.key].max_instances
    ingress_settings               = "ALLOW_ALL"
    all_traffic_on_latest_revision = true

    # NODE_OPTIONS (V8 flags) where shared/function-runtime.ts gives the function any.
    environment_variables = merge(
      {
        MODELGATE_IDENTITY = google_service_account.identity[each.value.identity].email
        NODE_ENV           = "production"
      },
      each.value.node_options == "" ? {} : { NODE_OPTIONS = each.value.node_options },
    )

    dynamic "secret_environment_variables" {
      for_each = each.value.secrets

      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = google_secret_manager_secret.secret[secret_environment_variables.value].secret_id
        version    = "latest"
      }
    }
  }

  # Bucket finalize arrives through Eventarc, with retries on; Pub/Sub topics push through google_pubsub_subscription.trigger.
  dynamic "event_trigger" {
    for_each = each.value.trigger == "storage" ? [each.key] : []

    content {
      trigger_region        = var.region
      event_type            = "google.cloud.storage.object.v1.finalized"
      retry_policy          = "RETRY_POLICY_RETRY"
      service_account_email = google_service_account.trigger[event_trigger.value].email

      event_filters {
        attribute = "bucket"
        value     = google_storage_bucket.artifacts.name
      }
    }
  }

  depends_on = [
    google_project_iam_member.builder,
    google_secret_manager_secret_iam_member.accessor,
    google_project_iam_member.gcs_agent_publisher,
  ]
}

# Who may invoke what: each event-driven function only by its own trigger account, tektonEvents only by the
# in-cluster forwarder, and githubWebhook by anyone — GitHub must reach it; it verifies the signature itself.
resource "google_service_account" "trigger" {
  for_each = local.data.triggered_functions

  project      = var.project_id
  account_id   = each.value.account_id
  display_name = "modelgate ${each.key} trigger"
  description  = "Invokes ${each.key} only (${each.value.trigger} trigger)."
}

resource "google_cloud_run_service_iam_member" "trigger_invoker" {
  for_each = local.data.triggered_functions

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.function[each.key].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.trigger[each.key].email}"
}

resource "google_cloud_run_service_iam_member" "webhook_public" {
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.function["githubWebhook"].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

resource "google_cloud_run_service_iam_member" "tekton_sink_invoker" {
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.function["tektonEvents"].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.tekton_sink.email}"
}

# Eventarc delivers bucket events as the trigger account, which must be an event receiver.
resource "google_project_iam_member" "trigger_event_receiver" {
  for_each = { for name, f in local.data.triggered_functions : name => f if f.trigger == "storage" }

  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = "serviceAccount:${google_service_account.trigger[each.key].email}"
}

# Pub/Sub mints the push subscriptions' OIDC tokens as the trigger accounts.
resource "google_service_account_iam_member" "pubsub_agent_token_creator" {
  for_each = { for name, f in local.data.triggered_functions : name => f if f.trigger == "pubsub" }

  service_account_id = google_service_account.trigger[each.key].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}

# Cloud Storage's service agent publishes the bucket's events for Eventarc.
resource "google_project_iam_member" "gcs_agent_publisher" {
  project = var.project_id
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
}

# The account Cloud Build uses to turn a bundle into a function image (instead of the default compute account).
resource "google_service_account" "builder" {
  project      = var.project_id
  account_id   = "mg-function-builder"
  display_name = "modelgate function builder"
}

resource "google_project_iam_member" "builder" {
  for_each = toset([
    "roles/logging.logWriter",
    "roles/artifactregistry.writer",
  ])

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.builder.email}"
}

resource "google_storage_bucket_iam_member" "builder_sources" {
  bucket = google_storage_bucket.sources.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.builder.email}"
}
