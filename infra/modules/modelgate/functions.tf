locals {
  function_settings = {
    for name, f in local.data.functions : name => merge(
      { memory = f.memory, timeout_seconds = f.timeout_seconds, max_instances = 10 },
      { for key, value in try(var.function_settings[name], {}) : key => value if value != null },
    )
  }
}

# The functions, each from its own content-hashed bundle and running as its own account. MODELGATE_CONFIG
# is left at its default: the bundle carries modelgate.config.yaml next to index.mjs. Ingress comes from
# shared/topology.ts (each function's `ingress`): only githubWebhook takes traffic from the internet; the rest are
# reached by their Pub/Sub push subscriptions, Eventarc or, for tektonEvents and fluxEvents, from the cluster's VPC.
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
    ingress_settings               = each.value.ingress_settings
    all_traffic_on_latest_revision = true

    # NODE_OPTIONS (V8 flags) where shared/function-runtime.ts gives the function any, and where each mounted
    # secret's file is (GITHUB_WEBHOOK_SECRET_FILE, TEKTON_SINK_TOKEN_FILE, FLUX_WEBHOOK_SECRET_FILE).
    environment_variables = merge(
      {
        MODELGATE_IDENTITY = google_service_account.identity[each.value.identity].email
        NODE_ENV           = "production"
      },
      each.value.node_options == "" ? {} : { NODE_OPTIONS = each.value.node_options },
      # A function that schedules tasks names their target by its URL (computed, not read from the resource: a
      # function cannot refer to another instance of its own for_each).
      each.value.schedules_tasks ? { MODELGATE_ADVANCE_ROLLOUT_URL = local.tasks_target_url } : {},
      { for id, secret in each.value.secrets : secret.env => secret.file },
    )

    # Secrets are mounted as files, not environment variables: a read of a mounted file fetches the version
    # named here from Secret Manager, so a new "latest" reaches warm instances without a redeploy (the functions
    # re-read the file at most once a minute; see docs/deployment.md, "Rotating a secret").
    dynamic "secret_volumes" {
      for_each = each.value.secrets

      content {
        mount_path = secret_volumes.value.mount_path
        project_id = var.project_id
        secret     = google_secret_manager_secret.secret[secret_volumes.key].secret_id

        versions {
          version = "latest"
          path    = secret_volumes.value.path
        }
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
    google_project_service.api,
    google_project_service_identity.agent,
    google_project_iam_member.builder,
    google_project_iam_member.builder_function_sources,
    google_storage_bucket_iam_member.builder_sources,
    google_secret_manager_secret_iam_member.accessor,
    google_project_iam_member.gcs_agent_publisher,
    google_project_iam_member.trigger_event_receiver,
    google_service_account_iam_member.pubsub_agent_token_creator,
  ]
}

# Who may invoke what, as shared/topology.ts declares it (each function's `invoker` in the generated data): each
# event-driven function only by its own trigger account, a forwarder-invoked one (tektonEvents) only by the
# in-cluster forwarder, the public one (githubWebhook) by var.webhook_invoker_members — by default anyone,
# since GitHub must reach it; it verifies the signature itself — and the signed one (fluxEvents) likewise by
# var.signed_invoker_members, behind internal ingress.
resource "google_service_account" "trigger" {
  for_each = local.data.triggered_functions

  project      = var.project_id
  account_id   = each.value.account_id
  display_name = "modelgate ${each.key} trigger"
  description  = "Invokes ${each.key} only (${each.value.trigger} trigger)."

  depends_on = [google_project_service.api]
}

resource "google_cloud_run_service_iam_member" "trigger_invoker" {
  for_each = local.data.triggered_functions

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.function[each.key].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.trigger[each.key].email}"
}

# allUsers by default. Where the organisation restricts members to its own domains
# (constraints/iam.allowedPolicyMemberDomains), either exempt this project from that policy or set
# webhook_invoker_members to the account of what fronts the webhook (see docs/deployment.md).
resource "google_cloud_run_service_iam_member" "webhook_public" {
  for_each = toset(var.webhook_invoker_members)

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.function[local.data.public_function].name
  role     = "roles/run.invoker"
  member   = each.value
}

# fluxEvents (the one `signed` function): Flux's notification-controller cannot present a Google identity, so
# signed_invoker_members is allUsers by default; its internal ingress keeps it to the VPC the cluster runs in, and it
# verifies the HMAC of every body itself (docs/flux.md).
resource "google_cloud_run_service_iam_member" "signed_invoker" {
  for_each = toset(var.signed_invoker_members)

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.function[local.data.signed_function].name
  role     = "roles/run.invoker"
  member   = each.value
}

resource "google_cloud_run_service_iam_member" "tekton_sink_invoker" {
  for_each = local.data.forwarder_functions

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.function[each.key].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.tekton_sink.email}"
}

# The grant was a single resource before it was derived from the topology; keep the deployed one.
moved {
  from = google_cloud_run_service_iam_member.tekton_sink_invoker
  to   = google_cloud_run_service_iam_member.tekton_sink_invoker["tektonEvents"]
}

# Eventarc delivers bucket events as the trigger account, which must be an event receiver.
resource "google_project_iam_member" "trigger_event_receiver" {
  for_each = { for name, f in local.data.triggered_functions : name => f if f.trigger == "storage" }

  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = "serviceAccount:${google_service_account.trigger[each.key].email}"
}

# Pub/Sub mints the OIDC tokens as the trigger accounts: the push subscriptions' own, and those of the Pub/Sub
# subscription Eventarc's storage trigger delivers through. (Projects whose Pub/Sub agent dates from after
# 8 April 2021 have this through roles/pubsub.serviceAgent; older ones need it here.)
resource "google_service_account_iam_member" "pubsub_agent_token_creator" {
  for_each = local.data.triggered_functions

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

  depends_on = [google_project_service.api]
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

# Cloud Functions copies each bundle into its own regional bucket, gcf-v2-sources-PROJECT_NUMBER-REGION, and the
# build fetches it from there. That bucket appears on the first deployment, so the grant is on the project with
# a condition naming the bucket (a bucket-level grant would need it to exist first).
locals {
  function_sources_bucket = "gcf-v2-sources-${data.google_project.this.number}-${var.region}"
}

resource "google_project_iam_member" "builder_function_sources" {
  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = "serviceAccount:${google_service_account.builder.email}"

  condition {
    title      = "bucket ${local.function_sources_bucket}"
    expression = "resource.name == \"projects/_/buckets/${local.function_sources_bucket}\" || resource.name.startsWith(\"projects/_/buckets/${local.function_sources_bucket}/objects/\")"
  }
}
